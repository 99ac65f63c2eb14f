// Child process: the limit. node:http and pg, no framework and no knex: each page is the platform's own
// statement (imported from the area's public file, src/spaces/index.ts), sent as a named prepared statement,
// and the JSON text PostgreSQL renders is written to the socket unparsed. A signed-in read (the space detail,
// the community message page) first looks the caller up with AuthService's session statement
// (src/auth/queries.ts), as the platform does; the pages' statements (messages, CS queue, room timeline) check
// the reader themselves. What it leaves out is everything but the SQL round trips and the socket:
// the platform's distance from it is its whole per-request cost in JavaScript.
import type { IncomingMessage, ServerResponse } from 'node:http';
import pg from 'pg';
import { SESSION_USER_STATEMENT } from '../../src/auth/index.js';
import type { BoundStatement } from '../../src/platform/rendered.js';
import { hashToken } from '../../src/auth/tokens.js';
import { communityMessagePageQuery } from '../../src/communities/index.js';
import { type ConversationStatus, conversationMessagePageQuery } from '../../src/conversations/index.js';
import { audioUrlPrefix } from '../../src/media/index.js';
import { csQueuePageQuery, decodeQueueCursor } from '../../src/official/index.js';
import { timelinePageQuery } from '../../src/rooms/index.js';
import { SPACE_DETAIL_STATEMENT, spaceListQuery } from '../../src/spaces/index.js';
import { POOL_MAX, report, runChild, serve, targetFromEnv } from './common.js';

const SPACE_PATH = /^\/api\/spaces\/([0-9a-f-]{36})$/i;
const MESSAGES_PATH = /^\/api\/communities\/([0-9a-f-]{36})\/messages$/i;
const QUEUE_PATH = /^\/api\/communities\/([0-9a-f-]{36})\/cs-queue$/i;
const CONVERSATION_PATH = /^\/api\/conversations\/([0-9a-f-]{36})\/messages$/i;
const TIMELINE_PATH = /^\/api\/v1\/rooms\/([0-9a-f-]{36})\/timeline$/i;
/** A refused read's status (a refused room read is 404 or 403: the bench reads only what it may). */
const VERDICT_STATUS: Record<string, number> = {
  not_found: 404,
  not_member: 403,
  not_official: 409,
  not_staff: 403,
  refused: 404,
};

runChild(async () => {
  const target = targetFromEnv();
  if (target.kind !== 'postgres' || !target.url) throw new Error('the limit server runs on PostgreSQL only');
  const searchPath = target.schema ? `${target.schema},public` : 'public';
  const pool = new pg.Pool({
    connectionString: target.url,
    max: POOL_MAX,
    options: `-c search_path=${searchPath}`,
  });

  let recording: string[] | undefined;
  process.on('message', (raw) => {
    const message = raw as { type?: string; on?: boolean };
    if (message.type !== 'trace') return;
    report({ type: 'trace:reply', statements: recording ?? [] });
    recording = message.on ? [] : undefined;
  });

  const run = async (name: string, text: string, values: unknown[]): Promise<unknown[] | undefined> => {
    recording?.push(text);
    const { rows } = await pool.query<unknown[]>({ name, text, values, rowMode: 'array' });
    return rows[0];
  };
  const send = (res: ServerResponse, status: number, json?: string) => {
    res.statusCode = status;
    if (json === undefined) {
      res.end();
      return;
    }
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end(json);
  };

  const answer = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://bench');
    if (req.method !== 'GET') return send(res, 404);
    if (url.pathname === '/api/spaces') {
      const q = url.searchParams;
      const { sql, values } = spaceListQuery({
        page: Number(q.get('page') ?? 1),
        limit: Number(q.get('limit') ?? 20),
        search: q.get('search') ?? undefined,
        category: q.get('category') ?? undefined,
      });
      const row = await run(sql.name, sql.text, values);
      return send(res, 200, row?.[0] as string);
    }
    const space = SPACE_PATH.exec(url.pathname);
    const messages = MESSAGES_PATH.exec(url.pathname);
    const queue = QUEUE_PATH.exec(url.pathname);
    const conversation = CONVERSATION_PATH.exec(url.pathname);
    const timeline = TIMELINE_PATH.exec(url.pathname);
    if (!space && !messages && !queue && !conversation && !timeline) return send(res, 404);
    const token = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
    const user =
      token && (await run(SESSION_USER_STATEMENT.name, SESSION_USER_STATEMENT.text, [hashToken(token), new Date()]));
    if (!user) return send(res, 401);
    const userId = user[0] as string;
    if (space) {
      const row = await run(SPACE_DETAIL_STATEMENT.name, SPACE_DETAIL_STATEMENT.text, [space[1], userId]);
      return typeof row?.[0] === 'string' ? send(res, 200, row[0]) : send(res, 404);
    }
    const q = url.searchParams;
    const limit = Number(q.get('limit') ?? 50);
    let checked: BoundStatement;
    const before = q.get('before') ?? undefined;
    const prefix = audioUrlPrefix(`http://${req.headers.host}`);
    if (messages) checked = communityMessagePageQuery(messages[1]!, userId, { limit, before }, prefix);
    else if (conversation) checked = conversationMessagePageQuery(conversation[1]!, userId, { limit, before }, prefix);
    else if (timeline) checked = timelinePageQuery(timeline[1]!, userId, { limit });
    else {
      const status = (q.get('status') ?? undefined) as ConversationStatus | undefined;
      const cursor = q.get('cursor');
      const after = cursor === null ? undefined : decodeQueueCursor(cursor, status);
      checked = csQueuePageQuery(queue![1]!, userId, { status, limit, after });
    }
    const row = await run(checked.sql.name, checked.sql.text, checked.values);
    return row?.[0] === 'ok' ? send(res, 200, row[1] as string) : send(res, VERDICT_STATUS[row?.[0] as string] ?? 500);
  };

  const port = await serve(
    (req, res) =>
      answer(req, res).catch(() => {
        if (!res.headersSent) send(res, 500);
        else res.destroy();
      }),
    () => pool.end(),
  );
  report({ type: 'ready', port });
});
