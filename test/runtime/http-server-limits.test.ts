// The HTTP server's own limits, over real sockets (src/http/http-server.ts, the server every test and `npm start`
// use): a request whose headers or body trickle in is cut at its timeout with 408 and its connection closed; a
// connection that sends nothing is closed too; a slow request within the timeout is answered; an event stream
// (a response, not a request) outlives both timeouts; past MAX_CONNECTIONS a new connection is closed at once;
// an idle kept-alive connection lives KEEP_ALIVE_TIMEOUT_MS, and says so in its Keep-Alive header.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getHealth } from '@platform/client';
import { allEvents, newRoom, post } from '../helpers/rooms.js';
import { recordExercised, startTestServer, useTestServer, type TestServer } from '../helpers/server.js';
import { StreamReader } from '../helpers/sse.js';
import { newUser } from '../helpers/users.js';

const HEADERS_TIMEOUT_MS = 500;
const REQUEST_TIMEOUT_MS = 1000;
/** Node looks for late requests every quarter of the headers timeout: a cut comes that much after its time, plus a loaded machine's delay. */
const SLACK_MS = HEADERS_TIMEOUT_MS / 4 + 500;

const server = useTestServer({
  http: {
    headersTimeoutMs: HEADERS_TIMEOUT_MS,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    maxConnections: 1000,
    keepAliveTimeoutMs: 10_000,
  },
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Raw {
  socket: Socket;
  /** Everything the server sent so far. */
  received(): string;
  /** Resolves with how long after the connection opened the server closed it. */
  closed: Promise<number>;
}

/** A TCP connection to `baseUrl`'s server, opened. */
async function raw(baseUrl: string): Promise<Raw> {
  const { hostname, port } = new URL(baseUrl);
  const socket = connect(Number(port), hostname);
  socket.on('error', () => undefined); // a reset is one way the server closes
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  const opened = performance.now();
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(performance.now() - opened)));
  return { socket, received: () => Buffer.concat(chunks).toString('latin1'), closed };
}

/** Writes `parts` one every `everyMs` until the connection closes or they run out. */
async function trickle(connection: Raw, parts: string[], everyMs: number): Promise<void> {
  for (const part of parts) {
    if (connection.socket.destroyed) return;
    connection.socket.write(part);
    await sleep(everyMs);
  }
}

const signInHead = (contentLength: number) =>
  `POST /api/auth/sign-in HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${contentLength}\r\n\r\n`;

describe('read timeouts', () => {
  it(`cuts a request whose body trickles in at REQUEST_TIMEOUT_MS (${REQUEST_TIMEOUT_MS} ms): 408, connection closed`, async () => {
    const connection = await raw(server.baseUrl);
    void trickle(connection, [signInHead(1000), ...Array.from({ length: 100 }, () => ' ')], 50);
    const after = await connection.closed;
    expect(connection.received()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(after).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
    expect(after).toBeLessThan(REQUEST_TIMEOUT_MS + SLACK_MS);
    expect((await getHealth()).response?.status).toBe(200); // the server is fine
  });

  it(`cuts a request whose headers trickle in at HEADERS_TIMEOUT_MS (${HEADERS_TIMEOUT_MS} ms): 408, connection closed`, async () => {
    const connection = await raw(server.baseUrl);
    void trickle(
      connection,
      [
        'GET /healthz HTTP/1.1\r\n',
        'Host: localhost\r\n',
        ...Array.from({ length: 100 }, (_, n) => `X-Slow-${n}: 1\r\n`),
      ],
      50,
    );
    const after = await connection.closed;
    expect(connection.received()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(after).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 50);
    expect(after).toBeLessThan(HEADERS_TIMEOUT_MS + SLACK_MS);
  });

  it('closes a connection that sends nothing at HEADERS_TIMEOUT_MS', async () => {
    const connection = await raw(server.baseUrl);
    const after = await connection.closed;
    expect(after).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 50);
    expect(after).toBeLessThan(HEADERS_TIMEOUT_MS + SLACK_MS);
  });

  it('answers a request sent slowly but within the timeouts', async () => {
    const connection = await raw(server.baseUrl);
    const body = JSON.stringify({ email: 'slow@example.com', password: 'not the password' });
    const parts = [signInHead(Buffer.byteLength(body)), ...(body.match(/.{1,10}/g) ?? [])];
    await trickle(connection, parts, Math.floor((REQUEST_TIMEOUT_MS * 0.6) / parts.length));
    for (let waited = 0; !connection.received() && waited < 5000; waited += 50) await sleep(50);
    expect(connection.received()).toMatch(/^HTTP\/1\.1 401 Unauthorized\r\n/);
    recordExercised('signIn', 401);
    connection.socket.destroy();
  });

  it('does not cut an event stream: a response goes on after both timeouts', async () => {
    const owner = await newUser('Streamer');
    const room = await newRoom(owner);
    const response = await fetch(`${server.baseUrl}/api/v1/rooms/${room.id}/stream?afterSeq=0`, {
      headers: { Authorization: `Bearer ${owner.token}` },
    });
    recordExercised('streamRoomEvents', response.status);
    expect(response.status).toBe(200);
    const reader = new StreamReader(response);
    const backfill = (await allEvents(room.id, owner)).length;
    await reader.waitFor(backfill);
    await sleep(REQUEST_TIMEOUT_MS * 2 + SLACK_MS);
    await post(room.id, owner, 'still here');
    const events = await reader.waitFor(backfill + 1);
    expect(events.at(-1)!.event).toBe('message.posted');
    await reader.cancel();
  });
});

describe('MAX_CONNECTIONS', () => {
  const MAX = 3;
  let limited: TestServer & { stop(): Promise<void> };
  beforeAll(async () => {
    limited = await startTestServer({
      http: { headersTimeoutMs: 10_000, requestTimeoutMs: 10_000, maxConnections: MAX, keepAliveTimeoutMs: 10_000 },
    });
  });
  afterAll(async () => {
    await limited?.stop();
  });

  it('closes a connection past the limit as soon as it is accepted; a freed place serves again', async () => {
    const held = await Promise.all(Array.from({ length: MAX }, () => raw(limited.baseUrl)));
    await sleep(200); // accepted by the server
    const refused = await raw(limited.baseUrl);
    refused.socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
    expect(await refused.closed).toBeLessThan(1000);
    expect(refused.received()).toBe('');

    // The connections within the limit are served.
    held[0]!.socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    await held[0]!.closed;
    expect(held[0]!.received()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    recordExercised('getHealth', 200);

    // held[0] is gone: one place is free.
    await sleep(100);
    const next = await raw(limited.baseUrl);
    next.socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    await next.closed;
    expect(next.received()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    for (const connection of held) connection.socket.destroy();
  });
});

describe('KEEP_ALIVE_TIMEOUT_MS', () => {
  const KEEP_ALIVE_MS = 1500;
  let short: TestServer & { stop(): Promise<void> };
  beforeAll(async () => {
    short = await startTestServer({
      http: { headersTimeoutMs: 500, requestTimeoutMs: 1000, maxConnections: 100, keepAliveTimeoutMs: KEEP_ALIVE_MS },
    });
  });
  afterAll(async () => {
    await short?.stop();
  });

  it('keeps an idle connection past the headers timeout, and closes it at its own timeout', async () => {
    const connection = await raw(short.baseUrl);
    connection.socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await sleep(200);
    expect(connection.received()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(connection.received()).toMatch(/\r\nKeep-Alive: timeout=1\r\n/i); // whole seconds, rounded down
    // Idle for longer than the headers timeout (500 ms): still open, and it serves the next request.
    await sleep(800);
    connection.socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await sleep(200);
    expect(connection.received().match(/HTTP\/1\.1 200 OK/g)).toHaveLength(2);
    // Then idle past the keep-alive timeout: closed by the server.
    const after = await connection.closed;
    expect(after).toBeGreaterThanOrEqual(1000 + KEEP_ALIVE_MS - 100);
    expect(after).toBeLessThan(1000 + KEEP_ALIVE_MS + 2000);
  });

  it('defaults to 65 s: longer than the usual load balancer idle timeout of 60 s', async () => {
    const defaults = await startTestServer(); // the configuration's own HTTP settings
    try {
      const response = await fetch(`${defaults.baseUrl}/healthz`);
      expect(response.headers.get('keep-alive')).toBe('timeout=65');
    } finally {
      await defaults.stop();
    }
  });
});
