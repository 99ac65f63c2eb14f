// Lets the orchestrator see which SQL statements a server runs for one request, to check that the full
// stack and the bare server run the same queries. Messages: { type: 'trace', on: true } starts recording,
// { type: 'trace', on: false } stops and replies with the statements (text only; bindings differ by ids).
import type { Knex } from 'knex';
import { report } from './common.js';

export function installSqlTrace(knex: Knex): void {
  let recording: string[] | undefined;
  knex.on('query', (query: { sql: string }) => recording?.push(query.sql));
  process.on('message', (raw) => {
    const message = raw as { type?: string; on?: boolean };
    if (message.type !== 'trace') return;
    if (message.on) {
      recording = [];
      report({ type: 'trace:reply', statements: [] });
    } else {
      report({ type: 'trace:reply', statements: recording ?? [] });
      recording = undefined;
    }
  });
}
