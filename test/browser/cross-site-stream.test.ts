// A partner's page on another site follows a room stream with Chromium's own EventSource: the page is served
// from http://localhost:<p1>, the API (a real `npm start` process) listens at http://127.0.0.1:<p2> with the
// page's origin in CORS_ORIGINS. Different sites, so the session cookie (SameSite=Lax) is never sent: the page
// signs in with fetch, asks for a stream ticket with its token, and opens `new EventSource(api + streamPath)`.
// The API server is then killed (SIGKILL), and later stopped (SIGTERM), and each time started again on the same
// port and database: the EventSource reconnects by itself (same URL and ticket, with Last-Event-ID) and the page
// has every event once, in order, no gap.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createPlatformClient } from '@platform/client';
import { databaseEnv, startChildServer, type ChildServer } from '../helpers/child-server.js';
import { databaseSettings } from '../helpers/database.js';
import { newRoom, post } from '../helpers/rooms.js';
import { newUser, type TestUser } from '../helpers/users.js';
import { freePort } from '../helpers/ports.js';

const CHROMIUM = '/usr/bin/chromium';
const present = existsSync(CHROMIUM);

/** The partner's page: signs in, gets a ticket, follows the room with a native EventSource (nothing else). */
const PAGE = `<!doctype html><meta charset="utf-8"><title>partner</title><script>
window.seen = []; window.opens = 0; window.errors = 0;
window.follow = async (api, email, password, roomId) => {
  const signIn = await fetch(api + '/api/auth/sign-in', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email, password }) });
  const { token } = await signIn.json();
  const issued = await fetch(api + '/api/v1/rooms/' + roomId + '/stream-tickets', { method: 'POST', headers: { Authorization: 'Bearer ' + token } });
  const { streamPath } = await issued.json();
  const source = new EventSource(api + streamPath + '&afterSeq=0');
  source.onopen = () => { window.opens += 1; };
  source.onerror = () => { window.errors += 1; };
  source.onmessage = (event) => { window.seen.push({ id: event.lastEventId, type: JSON.parse(event.data).type, seq: JSON.parse(event.data).seq }); };
  window.source = source;
  return { signIn: signIn.status, ticket: issued.status, cookies: document.cookie };
};
</script>`;

describe.skipIf(!present && !process.env.CI)('a room stream followed from another site by a native EventSource', () => {
  let database: Awaited<ReturnType<typeof databaseSettings>> | undefined;
  let pageServer: Server;
  let pageOrigin: string;
  let env: Record<string, string>;
  let api: ChildServer | undefined;
  let browser: Browser;

  beforeAll(async () => {
    if (!present) throw new Error(`${CHROMIUM} is missing: .ci/run installs it (apt-get install -y chromium)`);
    pageServer = createServer((_req, res) =>
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(PAGE),
    );
    await new Promise<void>((resolve) => pageServer.listen({ port: 0, host: '::', ipv6Only: false }, resolve));
    pageOrigin = `http://localhost:${(pageServer.address() as AddressInfo).port}`;
    database = await databaseSettings();
    env = {
      ...databaseEnv(database.settings),
      PORT: String(await freePort()),
      CORS_ORIGINS: pageOrigin,
      SSE_KEEP_ALIVE_MS: '1000',
    };
    api = await startChildServer(env);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await api?.kill('SIGTERM');
    await new Promise((resolve) => pageServer?.close(resolve));
    await database?.cleanup();
  });

  const seqs = (page: Page) =>
    page.evaluate(() => (window as unknown as { seen: Array<{ seq: number }> }).seen.map((e) => e.seq));

  it('opens with a ticket, receives every event on onmessage, and resumes after the API is killed and restarted, and stopped and restarted: no gap, no duplicate', async () => {
    const client = createPlatformClient({ baseUrl: api!.baseUrl });
    const alice: TestUser = await newUser('Alice', { client });
    const room = await newRoom(alice);
    await post(room.id, alice, 'before the page');

    const page = await (await browser.newContext()).newPage();
    await page.goto(`${pageOrigin}/`);
    const opened = await page.evaluate(
      ([base, email, password, roomId]) => (window as any).follow(base, email, password, roomId),
      [api!.baseUrl, alice.user.email, alice.password, room.id] as const,
    );
    expect(opened).toEqual({ signIn: 200, ticket: 201, cookies: '' });
    await expect.poll(() => seqs(page), { timeout: 10_000 }).toEqual([1, 2, 3]);
    await post(room.id, alice, 'live');
    await expect.poll(() => seqs(page), { timeout: 10_000 }).toEqual([1, 2, 3, 4]);
    // Every event, whatever its type, came to onmessage: no listener per type was registered.
    expect(await page.evaluate(() => (window as any).seen.map((e: { type: string }) => e.type))).toEqual([
      'room.created',
      'participant.joined',
      'message.posted',
      'message.posted',
    ]);

    await api!.kill('SIGKILL');
    api = await startChildServer(env);
    // Written while the page is reconnecting (or before it did): they come from the log, then live.
    await post(room.id, alice, 'after the restart, 1');
    await post(room.id, alice, 'after the restart, 2');
    await expect.poll(() => seqs(page), { timeout: 20_000 }).toEqual([1, 2, 3, 4, 5, 6]);
    await post(room.id, alice, 'live again');
    await expect.poll(() => seqs(page), { timeout: 10_000 }).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const state = await page.evaluate(() => ({
      opens: (window as any).opens,
      errors: (window as any).errors,
      readyState: (window as any).source.readyState,
    }));
    expect(state.opens).toBe(2); // the first connection and the EventSource's own reconnect
    expect(state.errors).toBeGreaterThanOrEqual(1);
    expect(state.readyState).toBe(1); // OPEN

    // A graceful stop (SIGTERM cuts the streams) and a start: the same again.
    await api!.kill('SIGTERM');
    api = await startChildServer(env);
    await post(room.id, alice, 'after the second restart');
    await expect.poll(() => seqs(page), { timeout: 20_000 }).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(await page.evaluate(() => (window as any).opens)).toBe(3);
    const ids = await page.evaluate(() => (window as any).seen.map((e: { id: string }) => e.id));
    expect(ids).toEqual(['1', '2', '3', '4', '5', '6', '7', '8']);
  }, 90_000);
});
