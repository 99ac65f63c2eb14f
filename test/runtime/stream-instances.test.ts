// Several instances on one PostgreSQL: two apps on the same database (and schema), a client streaming from
// instance A receives every event posted through instance B exactly once and in order: live, across a
// reconnect with Last-Event-ID, and across the loss of A's listening connection (pg_terminate_backend of its
// pid), after which A reconnects and reads what it missed. A's feed reads the log once per notification,
// however many clients follow the room. A stream held on B ends when its session is signed out, or its API
// key deleted, through A. PostgreSQL only: PGlite is one process's database.
import knexFactory, { type Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiKey,
  bearerToken,
  createApiKey,
  createPlatformClient,
  createRoomStreamTicket,
  deleteApiKey,
  signOut,
  streamRoomEvents,
  type RoomEvent,
} from '@platform/client';
import { buildApp, type Platform } from '../../src/app.js';
import type { PostgresEventBus } from '../../src/realtime/postgres-event-bus.js';
import { servePlatform, startTestServer, type TestServer } from '../helpers/server.js';
import { StreamReader } from '../helpers/sse.js';
import { newRoom, post } from '../helpers/rooms.js';
import { newUser, type TestUser } from '../helpers/users.js';

const url = process.env.DATABASE_URL;

interface Instance {
  baseUrl: string;
  platform: Platform;
  stop(): Promise<void>;
}

/** A second app over the first one's database and schema, as another instance behind the load balancer. */
async function secondInstance(first: TestServer): Promise<Instance> {
  return servePlatform(await buildApp(first.config, { jobs: false }), first.config);
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!url)(
  'two instances on one PostgreSQL (skipped: set DATABASE_URL to a PostgreSQL server to run it)',
  () => {
    let a: TestServer & { stop(): Promise<void> };
    let b: Instance;
    let admin: Knex;
    let alice: TestUser;
    /** Alice on each instance. */
    let onB: TestUser;

    beforeAll(async () => {
      // Credentials of open streams are also checked every keep-alive interval: a minute here, so only the
      // notification can end a stream within the test's bound.
      a = await startTestServer({ sseKeepAliveMs: 60_000 });
      b = await secondInstance(a);
      admin = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
      alice = await newUser('Alice', { client: createPlatformClient({ baseUrl: a.baseUrl }) });
      onB = { ...alice, as: { auth: bearerToken(alice.token), client: createPlatformClient({ baseUrl: b.baseUrl }) } };
    });
    afterAll(async () => {
      await b?.stop();
      await a?.stop();
      await admin?.destroy();
    });

    const follow = async (
      instance: { baseUrl: string },
      roomId: string,
      headers: Record<string, string> = {},
      query = '',
    ) => {
      const response = await fetch(`${instance.baseUrl}/api/v1/rooms/${roomId}/stream${query}`, {
        headers: { Authorization: `Bearer ${alice.token}`, ...headers },
      });
      expect(response.status).toBe(200);
      return new StreamReader(response);
    };

    it('delivers on A, once and in order, every event posted through B, also posted concurrently', async () => {
      const room = await newRoom(onB);
      const reader = await follow(a, room.id, {}, '?afterSeq=0');
      for (let n = 0; n < 10; n++) await post(room.id, onB, `sequential ${n}`);
      await Promise.all(range(1, 20).map((n) => post(room.id, onB, `concurrent ${n}`)));
      await reader.waitFor(32);
      await sleep(300);
      expect(reader.ids).toEqual(range(1, 32));
      const bodies = reader.events
        .filter((e) => e.event === 'message.posted')
        .map((e) => e.data.payload.body as string);
      expect(new Set(bodies).size).toBe(30);
      await reader.cancel();
    });

    it('resumes on A with Last-Event-ID after the client went away while B kept posting', async () => {
      const room = await newRoom(onB);
      const first = await follow(a, room.id, {}, '?afterSeq=0');
      for (let n = 0; n < 5; n++) await post(room.id, onB, `before ${n}`);
      await first.waitFor(7);
      await first.cancel(); // the client disconnects
      for (let n = 0; n < 5; n++) await post(room.id, onB, `while away ${n}`);
      const again = await follow(a, room.id, { 'Last-Event-ID': '7' }, '?afterSeq=0');
      for (let n = 0; n < 5; n++) await post(room.id, onB, `after ${n}`);
      await again.waitFor(10);
      await sleep(300);
      expect([...first.ids, ...again.ids]).toEqual(range(1, 17));
    });

    it('resumes through the generated client when A cuts its streams (a graceful stop), B posting all along', async () => {
      const room = await newRoom(onB);
      const controller = new AbortController();
      const { stream } = await streamRoomEvents({
        client: createPlatformClient({ baseUrl: a.baseUrl }),
        auth: bearerToken(alice.token),
        path: { room_id: room.id },
        query: { afterSeq: 0 },
        signal: controller.signal,
        sseMaxRetryAttempts: 5,
        sseDefaultRetryDelay: 20,
        onSseError: () => undefined,
      });
      const got: RoomEvent[] = [];
      const reading = (async () => {
        for await (const event of stream) got.push(event as RoomEvent);
      })().catch(() => undefined);
      const posting = (async () => {
        for (let n = 0; n < 20; n++) {
          await post(room.id, onB, `steady ${n}`);
          await sleep(10);
        }
      })();
      await sleep(100);
      a.platform.endStreams();
      await posting;
      for (let i = 0; i < 300 && got.at(-1)?.seq !== 22; i++) await sleep(20);
      controller.abort();
      await reading;
      expect(got.map((e) => e.seq)).toEqual(range(1, 22));
    });

    it("loses nothing when A's listening connection is terminated: A reconnects, listens again and reads what it missed", async () => {
      const room = await newRoom(onB);
      const reader = await follow(a, room.id, {}, '?afterSeq=0');
      await reader.waitFor(2);
      const bus = a.platform.database.events as PostgresEventBus;
      const pid = bus.listenerPid!;
      expect(pid).toBeGreaterThan(0);
      expect((b.platform.database.events as PostgresEventBus).listenerPid).toBeUndefined(); // nobody streams from B
      const [activity] = (await admin.raw('select query, application_name from pg_stat_activity where pid = ?', [pid]))
        .rows;
      expect(activity).toMatchObject({ application_name: 'platform-event-bus' });
      expect(activity.query.toLowerCase()).toContain('listen');

      for (let n = 0; n < 3; n++) await post(room.id, onB, `before the cut ${n}`);
      await reader.waitFor(5);
      await admin.raw('select pg_terminate_backend(?)', [pid]);
      for (let i = 0; i < 100 && bus.listenerPid; i++) await sleep(5);
      expect(bus.listenerPid).toBeUndefined();
      // Committed while A does not listen (its reconnect waits 100 ms first): no notification reaches A for these.
      let missed = 0;
      while (!bus.listenerPid && missed < 5) {
        await post(room.id, onB, `while A is not listening ${missed}`);
        if (!bus.listenerPid) missed += 1;
      }
      expect(missed).toBeGreaterThanOrEqual(1);
      for (let i = 0; i < 100 && !bus.listenerPid; i++) await sleep(20);
      expect(bus.listenerPid).toBeDefined();
      expect(bus.listenerPid).not.toBe(pid);
      for (let n = 0; n < 3; n++) await post(room.id, onB, `after the reconnect ${n}`);
      const total = (await post(room.id, onB, 'last')).seq;
      await reader.waitFor(total);
      await sleep(300);
      expect(reader.ids).toEqual(range(1, total));
      await reader.cancel();
    });

    it('reads the log once per notification on A however many clients follow the room there, and B delivers too', async () => {
      const room = await newRoom(onB);
      const readers = await Promise.all(range(1, 8).map(() => follow(a, room.id, {}, '?afterSeq=0')));
      const onBReader = await follow(b, room.id, {}, '?afterSeq=0');
      await Promise.all([...readers, onBReader].map((r) => r.waitFor(2)));
      let reads = 0;
      const count = (q: { sql: string }) => {
        if (/from "room_events" where "room_id" = \$1 and "seq" > \$2/.test(q.sql)) reads += 1;
      };
      a.platform.database.knex.on('query', count);
      for (let n = 0; n < 10; n++) await post(room.id, onB, `to all ${n}`);
      await Promise.all([...readers, onBReader].map((r) => r.waitFor(12)));
      a.platform.database.knex.off('query', count);
      expect(readers.every((r) => r.ids.join() === range(1, 12).join())).toBe(true);
      expect(onBReader.ids).toEqual(range(1, 12));
      expect(reads).toBeGreaterThanOrEqual(1);
      expect(reads).toBeLessThanOrEqual(10); // one per notification at most, not one per client (8 x 10)
      await Promise.all([...readers, onBReader].map((r) => r.cancel()));
    });

    it('ends on B, at once, the streams opened with a session signed out through A, or with an API key deleted through A', async () => {
      const clientA = createPlatformClient({ baseUrl: a.baseUrl });
      const bob = await newUser('Bob', { client: clientA });
      const room = await newRoom(bob);
      const key = (await createApiKey({ client: clientA, auth: bearerToken(bob.token), body: { name: 'on B' } })).data!;
      const open = async (headers: Record<string, string>) => {
        const response = await fetch(`${b.baseUrl}/api/v1/rooms/${room.id}/stream`, { headers });
        expect(response.status).toBe(200);
        return new StreamReader(response);
      };
      const bySession = await open({ Authorization: `Bearer ${bob.token}` });
      const byKey = await open({ 'X-API-Key': key.key });
      const signedOut = Date.now();
      expect((await signOut({ client: clientA, auth: bearerToken(bob.token) })).response?.status).toBe(204);
      expect(await bySession.ended).toBe('cut');
      expect(Date.now() - signedOut).toBeLessThan(5_000);
      // The key is the same user's other credential: its stream on B goes on until the key is deleted.
      const keyAuth = { client: clientA, auth: apiKey(key.key) };
      const message = await post(room.id, { ...bob, as: keyAuth }, 'after the sign-out');
      expect((await byKey.waitFor(1))[0]!.data.seq).toBe(message.seq);
      const deleted = Date.now();
      expect((await deleteApiKey({ ...keyAuth, path: { id: key.id } })).response?.status).toBe(204);
      expect(await byKey.ended).toBe('cut');
      expect(Date.now() - deleted).toBeLessThan(5_000);
      const refused = await fetch(`${b.baseUrl}/api/v1/rooms/${room.id}/stream`, {
        headers: { Authorization: `Bearer ${bob.token}` },
      });
      expect(refused.status).toBe(401);
    });

    it('a stream ticket issued on A opens the stream on B, reconnects on A (the ticket is in the database), and ends with its session signed out on B', async () => {
      const clientA = createPlatformClient({ baseUrl: a.baseUrl });
      const carol = await newUser('Carol', { client: clientA });
      const room = await newRoom(carol);
      const { streamPath } = (
        await createRoomStreamTicket({ client: clientA, auth: bearerToken(carol.token), path: { room_id: room.id } })
      ).data!;
      const open = async (instance: { baseUrl: string }) => {
        const response = await fetch(`${instance.baseUrl}${streamPath}`);
        expect(response.status).toBe(200);
        return new StreamReader(response);
      };
      const onB1 = await open(b);
      const message = await post(
        room.id,
        { ...carol, as: { auth: bearerToken(carol.token), client: clientA } },
        'through A',
      );
      expect((await onB1.waitFor(1))[0]!.data.seq).toBe(message.seq);
      await onB1.cancel();
      const onA = await open(a); // the EventSource's reconnect, reaching the other instance
      const signedOut = Date.now();
      expect(
        (await signOut({ client: createPlatformClient({ baseUrl: b.baseUrl }), auth: bearerToken(carol.token) }))
          .response?.status,
      ).toBe(204);
      expect(await onA.ended).toBe('cut');
      expect(Date.now() - signedOut).toBeLessThan(5_000);
      expect((await fetch(`${b.baseUrl}${streamPath}`)).status).toBe(401);
    });
  },
);
