// The platform around the operations: the docs, the bundled contract, request ids, routing errors, internal
// errors, and the admin role.
import { request } from 'node:http';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { listVerificationRequests } from '@platform/client';
import { doc } from '../../helpers/contract.js';
import { startTestServer, useTestServer } from '../../helpers/server.js';
import { newUser } from '../../helpers/users.js';

const server = useTestServer();

describe('serving the contract', () => {
  it('serves the docs at /docs and the bundled contract at /openapi.json', async () => {
    const docs = await fetch(`${server.baseUrl}/docs`);
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await docs.text()).toContain('Spaces &amp; Rooms Platform API');
    const contract = await (await fetch(`${server.baseUrl}/openapi.json`)).json();
    expect(contract.openapi).toBe('3.1.0');
    expect(contract).toEqual(doc);
  });

  it('shows the samples in /docs with the origin the reader used; a Host that is not a plain origin gets the file as it is', async () => {
    // fetch() may not set Host: a raw request, as a browser reaching the server under another name sends it.
    let vary: string | undefined;
    const docsFor = (host: string) =>
      new Promise<string>((resolve, reject) => {
        const { port } = new URL(server.baseUrl);
        request({ host: '127.0.0.1', port, path: '/docs', headers: { Host: host } }, (res) => {
          vary = res.headers.vary;
          let body = '';
          res
            .setEncoding('utf8')
            .on('data', (chunk: string) => {
              body += chunk;
            })
            .on('end', () => resolve(body));
        })
          .on('error', reject)
          .end();
      });
    const sandbox = await docsFor('sandbox.example.test:8080');
    expect(sandbox).toContain("curl -sS 'http://sandbox.example.test:8080/healthz'");
    expect(sandbox).toContain("baseUrl: 'http://sandbox.example.test:8080'");
    expect(sandbox).not.toContain('http://localhost:3000');
    // A shared cache keeps one copy per origin, never one origin's copy for another.
    expect(vary?.split(/,\s*/)).toEqual(expect.arrayContaining(['Host', 'Accept-Encoding']));
    for (const host of ['evil.test"><script>alert(1)</script>', 'a b', "x'y"]) {
      const asFile = await docsFor(host);
      expect(asFile, host).toContain("curl -sS 'http://localhost:3000/healthz'");
      expect(asFile, host).not.toContain('<script>alert(1)');
    }
  });

  it('echoes a valid X-Request-Id, or makes one, and quotes it in problems', async () => {
    const mine = await fetch(`${server.baseUrl}/healthz`, { headers: { 'X-Request-Id': 'trace-123' } });
    expect(mine.headers.get('x-request-id')).toBe('trace-123');
    const invalid = await fetch(`${server.baseUrl}/api/spaces?limit=99`, {
      headers: { 'X-Request-Id': 'bad id with spaces' },
    });
    const id = invalid.headers.get('x-request-id')!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await invalid.json()).toMatchObject({ requestId: id, instance: '/api/spaces' });
  });

  it('answers unknown paths with 404 and wrong methods with 405 and Allow, as problems', async () => {
    const missing = await fetch(`${server.baseUrl}/api/nothing-here`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/problem+json');
    const wrong = await fetch(`${server.baseUrl}/api/spaces`, { method: 'PATCH' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST, GET, HEAD');
    expect(await wrong.json()).toMatchObject({ code: 'METHOD_NOT_ALLOWED' });
  });

  it('never leaks internals: a database failure is a generic 500 with the request id', async () => {
    const doomed = await startTestServer();
    await doomed.platform.database.knex.destroy();
    try {
      const res = await fetch(`${doomed.baseUrl}/api/spaces`);
      expect(res.status).toBe(500);
      const body = await res.json();
      expect(body).toMatchObject({ code: 'INTERNAL_ERROR', requestId: res.headers.get('x-request-id') });
      expect(JSON.stringify(body)).not.toMatch(/knex|pool|sql|select/i);
    } finally {
      await doomed.stop().catch(() => undefined);
    }
  });
});

describe('the log', () => {
  it('writes one access line per request, and every line of a request carries its id', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const log = pino(
      { level: 'info' },
      {
        write: (line: string) => {
          lines.push(JSON.parse(line));
        },
      },
    );
    const logged = await startTestServer({}, { log });
    try {
      const ok = await fetch(`${logged.baseUrl}/api/spaces?limit=5`, { headers: { 'X-Request-Id': 'trace-ok' } });
      expect(ok.status).toBe(200);
      await logged.platform.database.knex.destroy();
      const failed = await fetch(`${logged.baseUrl}/api/spaces`, { headers: { 'X-Request-Id': 'trace-500' } });
      expect(failed.status).toBe(500);
    } finally {
      await logged.stop().catch(() => undefined);
    }
    const access = lines.filter((l) => l.msg === 'request');
    expect(access.find((l) => l.requestId === 'trace-ok')).toMatchObject({
      level: 30,
      method: 'GET',
      path: '/api/spaces',
      operationId: 'listSpaces',
      status: 200,
      ms: expect.any(Number),
    });
    expect(access.find((l) => l.requestId === 'trace-500')).toMatchObject({
      level: 50,
      operationId: 'listSpaces',
      status: 500,
    });
    // The handler's failure is logged with the request's id, before its access line.
    const failure = lines.findIndex((l) => l.msg === 'unhandled error' && l.requestId === 'trace-500');
    expect(failure).toBeGreaterThan(-1);
    expect(failure).toBeLessThan(lines.findIndex((l) => l.msg === 'request' && l.requestId === 'trace-500'));
    expect(lines.filter((l) => l.requestId === 'trace-ok')).toHaveLength(1);
  });

  it('makes a request its own child logger only when something besides the access line logs for it', async () => {
    const log = pino({ level: 'info' }, { write: () => undefined });
    const logged = await startTestServer({}, { log });
    const child = log.child.bind(log);
    let children = 0;
    log.child = ((...args: Parameters<typeof child>) => {
      children += 1;
      return child(...args);
    }) as typeof log.child;
    try {
      expect((await fetch(`${logged.baseUrl}/api/spaces?limit=5`)).status).toBe(200);
      expect(children).toBe(0);
      await logged.platform.database.knex.destroy();
      expect((await fetch(`${logged.baseUrl}/api/spaces`)).status).toBe(500);
      expect(children).toBe(1);
    } finally {
      await logged.stop().catch(() => undefined);
    }
  });
});

describe('admin operations', () => {
  it('need a signed-in user (401), who must be an admin (403 ADMIN_REQUIRED)', async () => {
    expect((await listVerificationRequests()).response?.status).toBe(401);
    const alice = await newUser('Alice');
    const denied = await listVerificationRequests(alice.as);
    expect(denied.response?.status).toBe(403);
    expect(denied.error).toMatchObject({ code: 'ADMIN_REQUIRED' });
  });
});
