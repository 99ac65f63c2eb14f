// The server's edges, over real HTTP as the wire shows them: HEAD wherever GET, `/` pointing to the docs,
// the docs and the contract cached (ETag, 304) and compressed, API responses compressed above a size, and
// event streams never compressed, so their events arrive as they are written.
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addCommunityAgent,
  createAgentListing,
  createCommunity,
  createPlatformClient,
  createSpace,
  joinCommunity,
} from '@platform/client';
import { doc } from '../helpers/contract.js';
import { startFakeOpenAi, type FakeOpenAi } from '../helpers/fake-openai.js';
import { openRaw, raw } from '../helpers/http.js';
import { recordExercised, startTestServer, useTestServer, watchClient, type TestServer } from '../helpers/server.js';
import { newUser } from '../helpers/users.js';
import { COMPRESSION_THRESHOLD_BYTES } from '../../src/http/compression.js';

const server = useTestServer();
const url = (path: string) => `${server.baseUrl}${path}`;

describe('HEAD', () => {
  it.each(['/docs', '/openapi.json', '/healthz', '/readyz', '/api/spaces'])(
    'answers HEAD %s with the headers of GET and no body',
    async (path) => {
      const get = await raw(url(path));
      const head = await raw(url(path), { method: 'HEAD' });
      expect(get.status).toBe(200);
      expect(head.status).toBe(200);
      expect(head.headers['content-type']).toBe(get.headers['content-type']);
      // /readyz measures its checks on every call (`durationMs`): its length may differ by a digit from one to the next.
      if (path === '/readyz')
        expect(Math.abs(Number(head.headers['content-length']) - get.body.length)).toBeLessThanOrEqual(10);
      else expect(head.headers['content-length']).toBe(String(get.body.length));
      expect(head.headers.etag).toBe(get.headers.etag);
      expect(head.body.length).toBe(0);
    },
  );

  it("runs the GET operation's checks: HEAD without credentials is 401, on a missing resource 404", async () => {
    const alice = await newUser('Alice');
    expect((await raw(url('/api/wallet'), { method: 'HEAD' })).status).toBe(401);
    const missing = await raw(url('/api/spaces/00000000-0000-4000-8000-000000000000'), {
      method: 'HEAD',
      headers: { Authorization: `Bearer ${alice.token}` },
    });
    expect(missing.status).toBe(404);
    expect(missing.body.length).toBe(0);
  });

  it('is listed in Allow wherever GET is', async () => {
    const wrong = await raw(url('/healthz'), { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('GET, HEAD');
  });
});

describe('/', () => {
  it('points to the docs', async () => {
    for (const method of ['GET', 'HEAD']) {
      const root = await raw(url('/'), { method });
      expect(root.status).toBe(302);
      expect(root.headers.location).toBe('/docs');
    }
    const followed = await fetch(url('/'));
    expect(followed.url).toBe(url('/docs'));
    expect(await followed.text()).toContain('Spaces &amp; Rooms Platform API');
  });
});

describe('/docs and /openapi.json', () => {
  it.each([
    ['/docs', 'text/html; charset=utf-8'],
    ['/openapi.json', 'application/json; charset=utf-8'],
  ])('%s carries an ETag and cache headers, and a conditional GET gets 304 without a body', async (path, type) => {
    const first = await raw(url(path));
    expect(first.headers['content-type']).toBe(type);
    expect(first.headers['cache-control']).toBe('public, max-age=300');
    expect(first.headers.vary).toMatch(/Accept-Encoding/);
    const etag = first.headers.etag!;
    expect(etag).toMatch(/^W\/"[\w-]{27}"$/);

    const again = await raw(url(path), { headers: { 'If-None-Match': etag } });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect(again.headers.etag).toBe(etag);
    const stale = await raw(url(path), { headers: { 'If-None-Match': 'W/"something-else"' } });
    expect(stale.status).toBe(200);
  });

  it('are compressed for clients that accept it (br or gzip), and the same bytes for those that do not', async () => {
    const plain = await raw(url('/openapi.json'), { headers: { 'Accept-Encoding': 'identity' } });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(plain.body.toString('utf8'))).toEqual(doc);

    const gzipped = await raw(url('/openapi.json'), { headers: { 'Accept-Encoding': 'gzip' } });
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gzipped.body.length).toBeLessThan(plain.body.length / 4);
    expect(gunzipSync(gzipped.body).equals(plain.body)).toBe(true);
    // A revalidation matches whichever encoding the copy was fetched in.
    expect(
      (
        await raw(url('/openapi.json'), {
          headers: { 'Accept-Encoding': 'br', 'If-None-Match': gzipped.headers.etag! },
        })
      ).status,
    ).toBe(304);

    const docs = await raw(url('/docs'), { headers: { 'Accept-Encoding': 'br' } });
    expect(docs.headers['content-encoding']).toBe('br');
    expect(Number(docs.headers['content-length'])).toBe(docs.body.length);
    expect(brotliDecompressSync(docs.body).toString('utf8')).toContain('Spaces &amp; Rooms Platform API');
  });
});

describe('API responses', () => {
  it(`are compressed above ${COMPRESSION_THRESHOLD_BYTES} bytes for clients that accept it, and not below`, async () => {
    const alice = await newUser('Alice');
    const { data: space } = await createSpace({
      body: { name: 'Long', description: 'A space described at length. '.repeat(60) },
      ...alice.as,
    });
    const auth = { Authorization: `Bearer ${alice.token}` };
    const big = await raw(url(`/api/spaces/${space!.id}`), { headers: { ...auth, 'Accept-Encoding': 'gzip' } });
    expect(big.status).toBe(200);
    expect(big.headers['content-encoding']).toBe('gzip');
    const body = JSON.parse(gunzipSync(big.body).toString('utf8'));
    expect(body).toMatchObject({ id: space!.id, description: space!.description });
    expect(big.body.length).toBeLessThan(JSON.stringify(body).length / 3);

    const small = await raw(url('/healthz'), { headers: { 'Accept-Encoding': 'gzip, br' } });
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(small.body.toString('utf8'))).toEqual({ status: 'ok' });

    const uncompressed = await raw(url(`/api/spaces/${space!.id}`), { headers: auth });
    expect(uncompressed.headers['content-encoding']).toBeUndefined();
  });
});

describe('event streams', () => {
  let fake: FakeOpenAi;
  let slow: TestServer & { stop(): Promise<void> };
  beforeAll(async () => {
    // The agent's first chunk comes 2.5 s after the request: a compressor would hold the `meta` event until then.
    fake = await startFakeOpenAi({ slowMs: 2500 });
    slow = await startTestServer({ agent: { baseUrl: fake.baseUrl, apiKey: 'sk-test', timeoutMs: 10_000 } });
  });
  afterAll(async () => {
    await slow?.stop();
    await fake?.close();
  });

  it('are never compressed: with Accept-Encoding: gzip the first event arrives before the agent has answered', async () => {
    const c = createPlatformClient({ baseUrl: slow.baseUrl });
    watchClient(c);
    const creator = await newUser('Creator', { client: c });
    const member = await newUser('Member', { client: c });
    const listing = (
      await createAgentListing({
        client: c,
        body: { name: 'Slow', model: 'fake-slow', instructions: 'Be slow.' },
        ...creator.as,
      })
    ).data!;
    const id = (await createCommunity({ client: c, body: { name: 'Club', agentCallFee: 0 }, ...creator.as })).data!.id;
    await addCommunityAgent({ client: c, path: { id }, body: { listingId: listing.id }, ...creator.as });
    await joinCommunity({ client: c, path: { id }, ...member.as });

    const sent = performance.now();
    const response = await openRaw(`${slow.baseUrl}/api/communities/${id}/agent-chat`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Authorization: `Bearer ${member.token}`,
        'Accept-Encoding': 'gzip, br',
      },
      body: JSON.stringify({ content: 'Hello?', listingId: listing.id }),
    });
    recordExercised('chatWithCommunityAgent', response.statusCode!);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(response.headers['content-encoding']).toBeUndefined();

    let text = '';
    let firstEventMs: number | undefined;
    for await (const chunk of response) {
      text += (chunk as Buffer).toString('utf8');
      if (firstEventMs === undefined && text.includes('\n\n')) firstEventMs = performance.now() - sent;
    }
    const totalMs = performance.now() - sent;
    expect(text.startsWith('event: meta\n')).toBe(true);
    expect(text).toContain('event: done\n');
    expect(totalMs).toBeGreaterThan(2500);
    // The meta event left as soon as it was written, long before the agent's first chunk.
    expect(firstEventMs!).toBeLessThan(totalMs - 1500);
  });
});
