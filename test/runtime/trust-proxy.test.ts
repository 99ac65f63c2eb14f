// TRUST_PROXY: how many proxies' `X-Forwarded-*` entries are believed, counted from the right, over real HTTP.
// Whatever a client writes to the left of the trusted proxies' entries changes neither its address, nor the
// scheme (Secure cookies), nor the host (absolute URLs). Rate limits counted on those addresses:
// test/contract/auth/sign-up-and-sign-in.test.ts.
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { afterAll, describe, expect, it } from 'vitest';
import { createPlatformClient, signUp } from '@platform/client';
import { loadConfig } from '../../src/config.js';
import { createHttpServer } from '../../src/http/http-server.js';
import { trustProxies } from '../../src/http/proxy.js';
import { startTestServer, watchClient } from '../helpers/server.js';

describe('TRUST_PROXY', () => {
  it.each([
    [undefined, 0],
    ['', 0],
    ['false', 0],
    ['0', 0],
    ['true', 1],
    ['TRUE', 1],
    ['1', 1],
    ['2', 2],
  ])('%s means %d trusted proxies', (value, hops) => {
    expect(loadConfig({ TRUST_PROXY: value }).trustedProxyHops).toBe(hops);
  });

  it.each(['yes', '-1', '1.5', 'on'])('refuses %s at start, saying what it takes', (value) => {
    expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(
      `TRUST_PROXY must be false, true (one proxy in front of the server) or the number of proxies in front of it, not "${value}"`,
    );
  });
});

describe('what the app reads through trusted proxies', () => {
  const servers: Array<{ close(): void }> = [];
  afterAll(() => {
    for (const s of servers) s.close();
  });

  /** A Koa app that answers what it read of the client, with `hops` trusted proxies. */
  async function seen(hops: number) {
    const app = new Koa();
    trustProxies(app, hops);
    app.use((ctx) => {
      ctx.body = { ip: ctx.ip, protocol: ctx.protocol, secure: ctx.secure, host: ctx.host };
    });
    const server = createHttpServer(loadConfig({}).http, app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    return async (headers: Record<string, string>) =>
      (await fetch(url, { headers })).json() as Promise<{
        ip: string;
        protocol: string;
        secure: boolean;
        host: string;
      }>;
  }

  it('one proxy: the rightmost entries, whatever the client wrote before them', async () => {
    const read = await seen(1);
    expect(await read({ 'X-Forwarded-For': '203.0.113.9' })).toMatchObject({ ip: '203.0.113.9' });
    expect(
      await read({
        'X-Forwarded-For': '10.0.0.1, 127.0.0.1, 203.0.113.9',
        'X-Forwarded-Proto': 'https, http',
        'X-Forwarded-Host': 'evil.example, api.example.com',
      }),
    ).toEqual({ ip: '203.0.113.9', protocol: 'http', secure: false, host: 'api.example.com' });
    // A proxy that overwrites the header leaves one entry: its own.
    expect(await read({ 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'api.example.com' })).toMatchObject({
      protocol: 'https',
      secure: true,
      host: 'api.example.com',
    });
    // No X-Forwarded-Host: the Host header.
    expect((await read({})).host).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('two proxies: the entries the outer one wrote, second from the right', async () => {
    const read = await seen(2);
    expect(
      await read({
        'X-Forwarded-For': '10.0.0.1, 203.0.113.9, 198.51.100.2',
        'X-Forwarded-Proto': 'http, https, http',
        'X-Forwarded-Host': 'evil.example, api.example.com, internal:8080',
      }),
    ).toEqual({ ip: '203.0.113.9', protocol: 'https', secure: true, host: 'api.example.com' });
  });

  it('no proxy (the default): the headers are ignored', async () => {
    const read = await seen(0);
    const answer = await read({
      'X-Forwarded-For': '203.0.113.9',
      'X-Forwarded-Proto': 'https',
      'X-Forwarded-Host': 'evil.example',
    });
    expect(answer).toMatchObject({ ip: '127.0.0.1', protocol: 'http', secure: false });
    expect(answer.host).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('marks the session cookie Secure only when the trusted proxy says https', async () => {
    const proxied = await startTestServer({ trustedProxyHops: 1 });
    try {
      const cookieFor = async (proto: string, email: string) => {
        const c = createPlatformClient({ baseUrl: proxied.baseUrl, headers: { 'X-Forwarded-Proto': proto } });
        watchClient(c);
        const { response } = await signUp({ client: c, body: { name: 'Tess', email, password: 'long enough' } });
        expect(response?.status).toBe(201);
        return response?.headers.get('set-cookie') ?? '';
      };
      expect(await cookieFor('http, https', 'tess.1@example.com')).toMatch(/; Secure$/);
      expect(await cookieFor('https, http', 'tess.2@example.com')).not.toMatch(/Secure/); // the client's "https" is not the proxy's
    } finally {
      await proxied.stop();
    }
  });
});
