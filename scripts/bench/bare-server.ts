// Child process: the baseline. A bare Koa app over the same knex (the platform's openDatabase: same driver,
// pool and knexSnakeCaseMappers) answering the benchmarked endpoints (spaces: bare-spaces.ts; communities:
// bare-communities.ts and bare-agent-chat.ts; customer service: bare-cs.ts; Rooms: bare-rooms.ts). Where it
// can, it runs the areas' own query functions (from their public files), so it sends the same SQL and returns
// the same JSON by construction; what it leaves out is the contract layer: no openapi-backend, no request or
// response validation, no middlewares or request context. Routing is a few string comparisons.
import Koa from 'koa';
import { openDatabase } from '../../src/platform/database.js';
import { benchConfig, report, runChild, serve, targetFromEnv } from './common.js';
import { installSqlTrace } from './sql-trace.js';
import { routeSpaces } from './bare-spaces.js';
import { BareCommunities, routeCommunities } from './bare-communities.js';
import { BareRooms, routeRooms } from './bare-rooms.js';
import { routeCs } from './bare-cs.js';
import { BareAgentChat } from './bare-agent-chat.js';
import { createAgentProvider } from '../../src/ai/providers.js';
import { findSessionUser } from '../../src/auth/index.js';

async function readJson(req: NodeJS.ReadableStream): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

runChild(async () => {
  const config = benchConfig(targetFromEnv());
  // Opened as the platform opens it, migration check included (the schema is migrated already: it reads).
  // Not for the check itself: a process that has parsed more than four result shapes (the check's queries)
  // runs pg's per-row object spread through V8's megamorphic slow path, ~0.14 M instructions a request on the
  // message page (valgrind --tool=callgrind). A bare server that skipped it kept that site polymorphic: a
  // state of pg's own code that no long-running server, the platform included, stays in.
  const database = await openDatabase(config);
  /** The user behind a bearer token: AuthService.authenticate's own statement (src/auth/queries.ts). */
  const caller = async (authorization: string | undefined) => {
    const token = authorization && /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
    return token ? findSessionUser(database.knex, token, new Date()) : undefined;
  };
  const communities = new BareCommunities(database.knex, config.platformFeeShare);
  const rooms = new BareRooms(database.knex);
  const agentChat = new BareAgentChat(database.knex, createAgentProvider(config.agent));

  const app = new Koa();
  app.silent = true; // clients dropping connections at the end of a run are not news
  app.use(async (koa) => {
    if (koa.path.endsWith('/cs-queue') || koa.path.startsWith('/api/conversations/')) {
      const answer = await routeCs(
        database.knex,
        koa.method,
        koa.path,
        koa.query,
        (await caller(koa.get('authorization')))?.id,
      );
      if (answer) {
        koa.status = answer.status;
        if (answer.body !== undefined) koa.body = answer.body;
      }
      return;
    }
    if (koa.path.startsWith('/api/communities/')) {
      if (
        koa.path.endsWith('/agent-chat') &&
        (await agentChat.route(koa, (await caller(koa.get('authorization')))?.id, () => readJson(koa.req)))
      )
        return;
      const answer = await routeCommunities(
        communities,
        koa.method,
        koa.path,
        koa.query,
        (await caller(koa.get('authorization')))?.id,
      );
      if (answer) {
        koa.status = answer.status;
        if (answer.body !== undefined) koa.body = answer.body;
      }
      return;
    }
    if (koa.path.startsWith('/api/v1/rooms/')) {
      const answer = await routeRooms(
        rooms,
        koa.method,
        koa.path,
        koa.query,
        () => readJson(koa.req),
        await caller(koa.get('authorization')),
      );
      if (answer) {
        koa.status = answer.status;
        if (answer.body !== undefined) koa.body = answer.body;
      }
      return;
    }
    const answer = await routeSpaces(
      database.knex,
      koa.method,
      koa.path,
      koa.query,
      () => readJson(koa.req),
      async () => (await caller(koa.get('authorization')))?.id,
    );
    if (answer) {
      koa.status = answer.status;
      if (answer.body !== undefined) koa.body = answer.body;
    }
  });

  const port = await serve(app.callback(), () => database.close());
  installSqlTrace(database.knex);
  report({ type: 'ready', port });
});
