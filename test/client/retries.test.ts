// Retries and timeouts, through a fault-injecting proxy in front of the real server: a call is retried only
// where the contract allows it (GET, and x-idempotency operations with the key the client makes), a retried
// room message or wallet credit has exactly one effect, Retry-After is honoured, a non-idempotent POST is
// never sent twice, and timeouts end a call with a TimeoutError (the caller's own abort stays a NetworkError).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPlatformClient,
  createRoom,
  creditWallet,
  getRoom,
  getWallet,
  isApiError,
  listLedgerEntries,
  listRooms,
  NetworkError,
  postRoomMessage,
  TimeoutError,
  type Client,
} from '@platform/client';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { allEvents, newRoom } from '../helpers/rooms.js';
import { useTestServer } from '../helpers/server.js';
import { newAdmin, newUser, type TestUser } from '../helpers/users.js';

const server = useTestServer();
let proxy: FaultProxy;
let proxied: Client;
/** Short backoff, so retries are quick; Retry-After still decides when the server sends one. */
const FAST = { initialDelayMs: 20, maxDelayMs: 3000 };

beforeAll(async () => {
  proxy = await startFaultProxy(server.baseUrl);
  proxied = createPlatformClient({ baseUrl: proxy.baseUrl, retry: FAST });
});
afterAll(async () => {
  await proxy.close();
});

/** `user`'s credentials on the proxied client, and what the proxy saw from here on. */
function through(user: TestUser) {
  proxy.reset();
  return { auth: user.as.auth, client: proxied };
}
const attemptsAt = (path: RegExp) => proxy.attempts.filter((a) => path.test(a.path));

describe('a GET', () => {
  it('is retried after a dropped connection and a 503, and succeeds', async () => {
    const alice = await newUser('Alice');
    const room = await newRoom(alice);
    const as = through(alice);
    proxy.plan('drop-before', { status: 503 });
    const { data, response } = await getRoom({ path: { room_id: room.id }, ...as });
    expect(response?.status).toBe(200);
    expect(data?.id).toBe(room.id);
    expect(proxy.attempts.map((a) => a.fault)).toEqual(['drop-before', { status: 503 }, 'pass']);
  });

  it('waits the Retry-After the server sends, in seconds or as an HTTP date', async () => {
    const alice = await newUser('Alice');
    const as = through(alice);
    proxy.plan({ status: 503, retryAfter: '1' });
    let started = Date.now();
    expect((await listRooms({ ...as })).response?.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);

    proxy.plan({ status: 503, retryAfter: new Date(Date.now() + 2000).toUTCString() });
    started = Date.now();
    expect((await listRooms({ ...as })).response?.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900); // the date has whole seconds: 1 to 2 s from now
    expect(proxy.attempts).toHaveLength(4);
  });

  it('is not retried when Retry-After is longer than the longest wait: the 503 comes back at once', async () => {
    const alice = await newUser('Alice');
    const as = through(alice);
    proxy.plan({ status: 503, retryAfter: '120' });
    const started = Date.now();
    const { error, response } = await listRooms({ ...as });
    expect(response?.status).toBe(503);
    expect(response?.headers.get('retry-after')).toBe('120');
    expect(error).toMatchObject({ status: 503 });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(proxy.attempts).toHaveLength(1);
  });

  it('gives up after maxRetries (per call), and retry: false turns retries off', async () => {
    const alice = await newUser('Alice');
    const as = through(alice);
    proxy.plan({ status: 503 }, { status: 503 });
    const once = await listRooms({ ...as, retry: { maxRetries: 1 }, throwOnError: true }).catch((e: unknown) => e);
    expect(isApiError(once, 'listRooms') && once.status).toBe(503);
    expect(proxy.attempts).toHaveLength(2);

    proxy.attempts.length = 0;
    proxy.plan('drop-before');
    const off = await listRooms({ ...as, retry: false });
    expect(off.error).toBeInstanceOf(NetworkError);
    expect(proxy.attempts).toHaveLength(1);
  });

  it("follows the client's retry setting when the call has none", async () => {
    const alice = await newUser('Alice');
    const noRetries = createPlatformClient({ baseUrl: proxy.baseUrl, retry: false });
    proxy.reset();
    proxy.plan({ status: 503 });
    expect((await listRooms({ auth: alice.as.auth, client: noRetries })).response?.status).toBe(503);
    proxy.plan({ status: 503 });
    expect(
      (await listRooms({ auth: alice.as.auth, client: noRetries, retry: { maxRetries: 1 } })).response?.status,
    ).toBe(200);
    expect(proxy.attempts).toHaveLength(3);
  });
});

describe('a write', () => {
  it('that is not idempotent (createRoom) is never retried: a dropped answer is a NetworkError, and the room exists once', async () => {
    const alice = await newUser('Alice');
    const as = through(alice);
    proxy.plan('drop-after');
    const { error, response } = await createRoom({ body: { name: 'Dropped answer' }, ...as });
    expect(response).toBeUndefined();
    expect(error).toBeInstanceOf(NetworkError);
    expect(attemptsAt(/\/rooms$/)).toHaveLength(1);
    proxy.plan({ status: 503 });
    expect((await createRoom({ body: { name: 'Refused' }, ...as })).response?.status).toBe(503);
    expect(attemptsAt(/\/rooms$/)).toHaveLength(2);
    const rooms = (await listRooms(alice.as)).data!.items.map((r) => r.name);
    expect(rooms.filter((name) => name === 'Dropped answer')).toHaveLength(1);
    expect(rooms).not.toContain('Refused');
  });

  it('postRoomMessage without a key gets one from the client, reused on the retry: one message, the replayed answer', async () => {
    const alice = await newUser('Alice');
    const room = await newRoom(alice);
    const as = through(alice);
    proxy.plan('drop-after', { status: 503, retryAfter: '0' });
    const { data, response } = await postRoomMessage({
      path: { room_id: room.id },
      body: { body: 'Posted once' },
      ...as,
    });
    expect(response?.status).toBe(201);
    expect(response?.headers.get('idempotent-replayed')).toBe('true');
    const keys = attemptsAt(/\/messages$/).map(
      (a) => (JSON.parse(a.body) as { idempotencyKey: string }).idempotencyKey,
    );
    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    const posted = (await allEvents(room.id, alice)).filter((e) => e.type === 'message.posted');
    expect(posted).toHaveLength(1);
    expect(posted[0]!.subject.id).toBe(data!.id);
  });

  it("postRoomMessage keeps the caller's own key on every attempt", async () => {
    const alice = await newUser('Alice');
    const room = await newRoom(alice);
    const as = through(alice);
    proxy.plan('drop-before', 'drop-after');
    const { response } = await postRoomMessage({
      path: { room_id: room.id },
      body: { body: 'Mine', idempotencyKey: 'my-own-key-1' },
      ...as,
    });
    expect(response?.status).toBe(201);
    expect(
      attemptsAt(/\/messages$/).map((a) => (JSON.parse(a.body) as { idempotencyKey: string }).idempotencyKey),
    ).toEqual(['my-own-key-1', 'my-own-key-1', 'my-own-key-1']);
    expect((await allEvents(room.id, alice)).filter((e) => e.type === 'message.posted')).toHaveLength(1);
  });

  it('a retried admin wallet credit is credited exactly once', async () => {
    const admin = await newAdmin();
    const bob = await newUser('Bob');
    const before = (await getWallet(bob.as)).data!.balance;
    const as = through(admin);
    proxy.plan('drop-after', 'drop-after');
    const { response } = await creditWallet({
      path: { user_id: bob.user.id },
      body: { amount: 12.5, reason: 'retried credit' },
      ...as,
    });
    expect(response?.status).toBe(201);
    expect(attemptsAt(/\/credits$/)).toHaveLength(3);
    expect((await getWallet(bob.as)).data!.balance).toBeCloseTo(before + 12.5, 2);
    expect(
      (await listLedgerEntries(bob.as)).data!.entries.filter((e) => e.description === 'retried credit'),
    ).toHaveLength(1);
  });
});

describe('timeouts', () => {
  it('end a call that gets no answer in time with a TimeoutError, per call or per client', async () => {
    const alice = await newUser('Alice');
    const as = through(alice);
    proxy.plan({ delayMs: 1500 });
    let started = Date.now();
    const { error, response } = await listRooms({ ...as, timeout: 200, retry: false });
    expect(Date.now() - started).toBeLessThan(1200);
    expect(response).toBeUndefined();
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ kind: 'timeout', timeoutMs: 200 });

    const impatient = createPlatformClient({ baseUrl: proxy.baseUrl, timeout: 200, retry: false });
    proxy.plan({ delayMs: 1500 });
    started = Date.now();
    await expect(listRooms({ auth: alice.as.auth, client: impatient, throwOnError: true })).rejects.toBeInstanceOf(
      TimeoutError,
    );
    expect(Date.now() - started).toBeLessThan(1200);
  });

  it('are retried like a dropped connection where retries are allowed', async () => {
    const alice = await newUser('Alice');
    const as = through(alice);
    proxy.plan({ delayMs: 1000 }, { delayMs: 1000 });
    const { response } = await listRooms({ ...as, timeout: 200 });
    expect(response?.status).toBe(200);
    expect(proxy.attempts).toHaveLength(3);
  });

  it("are not the caller's own abort: that is a NetworkError, never retried", async () => {
    const alice = await newUser('Alice');
    const as = through(alice);
    proxy.plan({ delayMs: 1000 });
    const { error } = await listRooms({ ...as, signal: AbortSignal.timeout(200) });
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).not.toBeInstanceOf(TimeoutError);
    expect(proxy.attempts).toHaveLength(1);
  });
});
