// Cookie callers and other sites: a write authenticated by a cookie (or one that signs a browser in) is refused
// with 403 CROSS_SITE_REQUEST when a browser says it comes from another site not in CORS_ORIGINS, or when its
// body is not sent as JSON, and nothing is done; the same write from this server's pages, from a listed origin or
// from a script (no Origin, no Sec-Fetch-Site) goes through, and Bearer and API-key callers are never concerned.
import { describe, expect, it } from 'vitest';
import { createApiKey, createCommunity, getCommunity, getWallet } from '@platform/client';
import { newRoom } from '../../helpers/rooms.js';
import { recordExercised, useTestServer } from '../../helpers/server.js';
import { newUser, type TestUser } from '../../helpers/users.js';
import { fund } from '../../helpers/wallets.js';

const APP = 'https://app.example.com';
const server = useTestServer({ corsOrigins: [APP] });

type Via = { cookie?: string; bearer?: string; apiKey?: string };
/** A raw request, with the headers a browser would add (Origin, Sec-Fetch-Site) chosen by the test. */
async function send(
  operationId: string,
  method: string,
  path: string,
  via: Via,
  headers: Record<string, string> = {},
  body?: string | Blob,
): Promise<Response> {
  const auth: Record<string, string> = via.cookie
    ? { Cookie: via.cookie }
    : via.bearer
      ? { Authorization: `Bearer ${via.bearer}` }
      : via.apiKey
        ? { 'X-API-Key': via.apiKey }
        : {};
  const response = await fetch(`${server.baseUrl}${path}`, { method, headers: { ...auth, ...headers }, body });
  recordExercised(operationId, response.status);
  return response;
}
const json = { 'Content-Type': 'application/json' };

async function paidClub(): Promise<{ id: string; member: TestUser }> {
  const creator = await newUser('Creator');
  const member = await newUser('Member');
  const { id } = (await createCommunity({ body: { name: 'Paid', joinFee: 5 }, ...creator.as })).data!;
  await fund(member, 10);
  return { id, member };
}
const join = (id: string, via: Via, headers?: Record<string, string>) =>
  send('joinCommunity', 'POST', `/api/communities/${id}/join`, via, headers);
const expectRefused = async (response: Response) => {
  expect(response.status).toBe(403);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  expect(await response.json()).toMatchObject({ code: 'CROSS_SITE_REQUEST', status: 403 });
};

describe('cookie-authenticated writes from other sites', () => {
  it("refuses a paid join sent by another site's page (Origin, or Sec-Fetch-Site cross-site or same-site), charging nothing", async () => {
    const { id, member } = await paidClub();
    const cookie = { cookie: `session=${member.token}` };
    await expectRefused(await join(id, cookie, { Origin: 'https://evil.example' }));
    await expectRefused(await join(id, cookie, { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site' }));
    await expectRefused(await join(id, cookie, { Origin: 'https://shop.example.com', 'Sec-Fetch-Site': 'same-site' }));
    await expectRefused(await join(id, cookie, { Origin: 'null' }));
    await expectRefused(await join(id, { cookie: `vai_token=${member.token}` }, { 'Sec-Fetch-Site': 'cross-site' }));
    expect((await getWallet(member.as)).data!.balance).toBe(10);
    expect((await getCommunity({ path: { id } })).data!.memberCount).toBe(1);
  });

  it("accepts it from this server's pages, from an origin in CORS_ORIGINS and from a script", async () => {
    const ways: Array<Record<string, string>> = [
      { 'Sec-Fetch-Site': 'same-origin', Origin: server.baseUrl },
      { Origin: server.baseUrl },
      { 'Sec-Fetch-Site': 'cross-site', Origin: APP },
      { Origin: APP },
      {},
    ];
    for (const headers of ways) {
      const { id, member } = await paidClub();
      const response = await join(id, { cookie: `session=${member.token}` }, headers);
      expect(response.status, JSON.stringify(headers)).toBe(200);
      expect((await getWallet(member.as)).data!.balance).toBe(5);
    }
  });

  it('refuses a cookie-authenticated body not sent as JSON (none, text/plain, a form), before reading it; Bearer callers get the usual 400', async () => {
    const alice = await newUser('Alice');
    const body = JSON.stringify({ name: 'Smuggled' });
    for (const type of [undefined, 'text/plain', 'application/x-www-form-urlencoded']) {
      // A Blob without a type is how a page sends a body with no Content-Type at all.
      const response = await send(
        'createCommunity',
        'POST',
        '/api/communities',
        { cookie: `session=${alice.token}` },
        type ? { 'Content-Type': type } : {},
        type ? body : new Blob([body]),
      );
      await expectRefused(response);
    }
    const bearer = await send(
      'createCommunity',
      'POST',
      '/api/communities',
      { bearer: alice.token },
      { 'Content-Type': 'text/plain' },
      body,
    );
    expect(bearer.status).toBe(400);
    expect(await bearer.json()).toMatchObject({ code: 'INVALID_JSON' });
    const made = await send(
      'createCommunity',
      'POST',
      '/api/communities',
      { cookie: `session=${alice.token}` },
      { ...json, 'Sec-Fetch-Site': 'same-origin' },
      body,
    );
    expect(made.status).toBe(201);
  });

  it('leaves Bearer and API-key callers alone, and reads alone', async () => {
    const { id, member } = await paidClub();
    const key = (await createApiKey({ body: { name: 'server' }, ...member.as })).data!.key;
    const evil = { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site' };
    expect((await join(id, { apiKey: key }, evil)).status).toBe(200);
    const other = await paidClub();
    expect((await join(other.id, { bearer: other.member.token }, evil)).status).toBe(200);
    expect((await send('getWallet', 'GET', '/api/wallet', { cookie: `session=${member.token}` }, evil)).status).toBe(
      200,
    );
  });

  it("answers the Rooms API's writes in the same problem shape", async () => {
    const owner = await newUser('Owner');
    const room = await newRoom(owner);
    const response = await send(
      'postRoomMessage',
      'POST',
      `/api/v1/rooms/${room.id}/messages`,
      { cookie: `vai_token=${owner.token}` },
      { ...json, Origin: 'https://evil.example' },
      JSON.stringify({ body: 'hi', idempotencyKey: 'k1' }),
    );
    await expectRefused(response);
  });

  it('refuses signing a browser in from another site (login CSRF), not from a script or this server', async () => {
    const alice = await newUser('Alice');
    const credentials = JSON.stringify({ email: alice.user.email, password: alice.password });
    await expectRefused(
      await send('signIn', 'POST', '/api/auth/sign-in', {}, { ...json, Origin: 'https://evil.example' }, credentials),
    );
    await expectRefused(await send('signIn', 'POST', '/api/auth/sign-in', {}, {}, new Blob([credentials])));
    expect((await send('signIn', 'POST', '/api/auth/sign-in', {}, json, credentials)).status).toBe(200);
    expect(
      (await send('signIn', 'POST', '/api/auth/sign-in', {}, { ...json, 'Sec-Fetch-Site': 'same-origin' }, credentials))
        .status,
    ).toBe(200);
  });
});
