// CORS over real HTTP: off by default; preflights answered from the contract (the path's methods, the
// headers its operations read); credentials for listed origins only; nothing for other origins.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlatformClient, signIn } from '@platform/client';
import { doc } from '../helpers/contract.js';
import { raw } from '../helpers/http.js';
import { startTestServer, useTestServer, watchClient, type TestServer } from '../helpers/server.js';
import { newUser } from '../helpers/users.js';
import { loadConfig } from '../../src/config.js';

const APP = 'https://app.example.com';
const OTHER = 'https://elsewhere.example.net';
const preflight = (origin: string, method: string, headers?: string) => ({
  method: 'OPTIONS',
  headers: {
    Origin: origin,
    'Access-Control-Request-Method': method,
    ...(headers ? { 'Access-Control-Request-Headers': headers } : {}),
  },
});
const corsHeaders = (headers: Record<string, unknown>) =>
  Object.keys(headers).filter((h) => h.startsWith('access-control-'));

const plain = useTestServer();
let listed: TestServer & { stop(): Promise<void> };
let open: TestServer & { stop(): Promise<void> };
beforeAll(async () => {
  [listed, open] = await Promise.all([
    startTestServer({ corsOrigins: [APP] }),
    startTestServer({ corsOrigins: [APP, '*'] }),
  ]);
});
afterAll(async () => {
  await listed?.stop();
  await open?.stop();
});

describe('CORS off (the default)', () => {
  it('sends no CORS header, and a preflight is an ordinary OPTIONS request (405)', async () => {
    const answer = await raw(`${plain.baseUrl}/api/auth/sign-in`, preflight(APP, 'POST', 'content-type'));
    expect(answer.status).toBe(405);
    expect(corsHeaders(answer.headers)).toEqual([]);
    const get = await raw(`${plain.baseUrl}/healthz`, { headers: { Origin: APP } });
    expect(corsHeaders(get.headers)).toEqual([]);
  });
});

describe('CORS_ORIGINS', () => {
  it('is refused at start when an entry is not an origin, naming it', () => {
    expect(() => loadConfig({ CORS_ORIGINS: 'https://app.example.com, app.example.com' })).toThrow(
      /CORS_ORIGINS: "app\.example\.com" is not an origin/,
    );
    expect(() => loadConfig({ CORS_ORIGINS: 'https://app.example.com/login' })).toThrow(/is not an origin/);
    expect(loadConfig({ CORS_ORIGINS: ' https://App.example.com/ ,http://localhost:5173,*' }).corsOrigins).toEqual([
      APP,
      'http://localhost:5173',
      '*',
    ]);
    expect(loadConfig({}).corsOrigins).toEqual([]);
  });
});

describe('a listed origin', () => {
  it("gets every path's preflight answered with the methods the contract declares for it (HEAD wherever GET)", async () => {
    for (const [template, item] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
      const declared = Object.keys(item)
        .filter((k) => ['get', 'put', 'post', 'delete', 'patch'].includes(k))
        .map((m) => m.toUpperCase());
      const path = template.replace(/\{[^}]+\}/g, 'x');
      const answer = await raw(`${listed.baseUrl}${path}`, preflight(APP, declared[0]!));
      expect(answer.status, template).toBe(204);
      const methods = String(answer.headers['access-control-allow-methods']).split(', ');
      expect(methods.sort(), template).toEqual((declared.includes('GET') ? [...declared, 'HEAD'] : declared).sort());
      expect(answer.headers['access-control-allow-origin']).toBe(APP);
      expect(answer.headers['access-control-allow-credentials']).toBe('true');
      expect(answer.headers['access-control-max-age']).toBe('600');
      expect(answer.headers.vary).toMatch(/Origin/);
    }
  });

  it("is allowed the request headers the path's operations read: parameters, credentials, Content-Type for a body", async () => {
    const allowed = async (path: string, method: string) =>
      String((await raw(`${listed.baseUrl}${path}`, preflight(APP, method))).headers['access-control-allow-headers'])
        .split(', ')
        .sort();
    // Public, with a body: no credential header.
    expect(await allowed('/api/auth/sign-in', 'POST')).toEqual(['Content-Type', 'X-Request-Id']);
    // A stream resumed with Last-Event-ID, for a caller (bearer token or API key); no body.
    expect(await allowed('/api/v1/rooms/x/stream', 'GET')).toEqual([
      'Authorization',
      'Last-Event-ID',
      'X-API-Key',
      'X-Request-Id',
    ]);
    // Liveness: nothing but the request id.
    expect(await allowed('/healthz', 'GET')).toEqual(['X-Request-Id']);
    // Served outside the contract.
    expect(await allowed('/openapi.json', 'GET')).toEqual(['X-Request-Id']);
  });

  it('reads responses, errors included, with the credentials and the headers the contract documents', async () => {
    const c = createPlatformClient({ baseUrl: listed.baseUrl, headers: { Origin: APP } });
    watchClient(c);
    const alice = await newUser('Alice', { client: c });
    const ok = await signIn({ client: c, body: { email: alice.user.email, password: alice.password } });
    expect(ok.response?.status).toBe(200);
    expect(ok.response?.headers.get('access-control-allow-origin')).toBe(APP);
    expect(ok.response?.headers.get('access-control-allow-credentials')).toBe('true');
    // Retry-After (documented for 429) and the request id; Set-Cookie can never be exposed, so it is not listed.
    expect(ok.response?.headers.get('access-control-expose-headers')).toBe('X-Request-Id, Retry-After');
    const refused = await signIn({ client: c, body: { email: alice.user.email, password: 'not the password' } });
    expect(refused.response?.status).toBe(401);
    expect(refused.response?.headers.get('access-control-allow-origin')).toBe(APP);
    const docs = await raw(`${listed.baseUrl}/openapi.json`, { headers: { Origin: APP } });
    expect(docs.headers['access-control-expose-headers']).toBe('X-Request-Id, ETag');
  });
});

describe('any other origin', () => {
  it('gets no CORS header at all, neither on a preflight nor on a request', async () => {
    const answer = await raw(`${listed.baseUrl}/api/auth/sign-in`, preflight(OTHER, 'POST', 'content-type'));
    expect(corsHeaders(answer.headers)).toEqual([]);
    expect(answer.status).toBe(405);
    const get = await raw(`${listed.baseUrl}/api/spaces`, { headers: { Origin: OTHER } });
    expect(get.status).toBe(200);
    expect(corsHeaders(get.headers)).toEqual([]);
    expect(get.headers.vary).toMatch(/Origin/);
  });

  it('is allowed without credentials when CORS_ORIGINS has `*`; listed origins still get credentials', async () => {
    const anyone = await raw(`${open.baseUrl}/api/auth/sign-in`, preflight(OTHER, 'POST', 'content-type'));
    expect(anyone.status).toBe(204);
    expect(anyone.headers['access-control-allow-origin']).toBe('*');
    expect(anyone.headers['access-control-allow-credentials']).toBeUndefined();
    const request = await raw(`${open.baseUrl}/api/spaces`, { headers: { Origin: OTHER } });
    expect(request.headers['access-control-allow-origin']).toBe('*');
    expect(request.headers['access-control-allow-credentials']).toBeUndefined();
    const app = await raw(`${open.baseUrl}/api/spaces`, { headers: { Origin: APP } });
    expect(app.headers['access-control-allow-origin']).toBe(APP);
    expect(app.headers['access-control-allow-credentials']).toBe('true');
  });
});
