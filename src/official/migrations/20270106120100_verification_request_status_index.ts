// The admins' list of verification requests filtered by status, a page at a time, newest first (then id):
// without a status, verification_requests_recent_idx serves it.
import type { Knex } from 'knex';
import { runScript } from '../../platform/sql.js';

export async function up(knex: Knex): Promise<void> {
  await runScript(
    knex,
    `
    create index verification_requests_status_idx on verification_requests (status, created_at desc, id desc);
  `,
  );
}

export async function down(knex: Knex): Promise<void> {
  await runScript(
    knex,
    `
    drop index if exists verification_requests_status_idx;
  `,
  );
}
