// The platform around the operations: health, docs, the bundled contract, request ids, routing errors,
// the admin role, and the explicit 501 of every operation whose area is not built yet.
import { describe, expect, it } from 'vitest';
import * as sdk from '@platform/client';
import { getHealth, getReadiness, listVerificationRequests, StreamError } from '@platform/client';
import { loadContract } from '../../scripts/generate/contract.js';
import { requestArguments } from '../../scripts/generate/samples.js';
import { bundlePath } from '../helpers/contract.js';
import { startTestServer, useTestServer, watchClient } from '../helpers/server.js';
import { newAdmin, newUser } from '../helpers/users.js';
import { NOT_IMPLEMENTED } from '../../src/handlers/not-implemented.js';
import { operations } from '../../generated/server/index.js';

const server = useTestServer();

describe('health', () => {
  it('answers liveness and readiness (200), and rejects unknown parameters (400)', async () => {
    expect((await getHealth()).data).toEqual({ status: 'ok' });
    expect((await getReadiness()).data).toEqual({ status: 'ready', checks: { database: 'ok' } });
    expect((await getHealth({ query: { deep: 1 } as never })).response.status).toBe(400);
    expect((await getReadiness({ query: { deep: 1 } as never })).response.status).toBe(400);
  });

  it('reports not ready (503) when the database is gone, while liveness stays 200', async () => {
    const doomed = await startTestServer();
    const c = sdk.createPlatformClient({ baseUrl: doomed.baseUrl });
    watchClient(c);
    await doomed.platform.database.knex.destroy();
    try {
      const { error, response } = await getReadiness({ client: c });
      expect(response.status).toBe(503);
      expect(error).toEqual({ status: 'unavailable', checks: { database: 'failing' } });
      expect((await getHealth({ client: c })).response.status).toBe(200);
    } finally {
      await doomed.stop().catch(() => undefined);
    }
  });
});

describe('serving the contract', () => {
  it('serves the docs at /docs and the bundled contract at /openapi.json', async () => {
    const docs = await fetch(`${server.baseUrl}/docs`);
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await docs.text()).toContain('Spaces &amp; Rooms Platform API');
    const contract = await (await fetch(`${server.baseUrl}/openapi.json`)).json();
    expect(contract.openapi).toBe('3.1.0');
    expect(Object.keys(contract.paths)).toHaveLength(67);
  });

  it('echoes a valid X-Request-Id, or makes one, and quotes it in problems', async () => {
    const mine = await fetch(`${server.baseUrl}/healthz`, { headers: { 'X-Request-Id': 'trace-123' } });
    expect(mine.headers.get('x-request-id')).toBe('trace-123');
    const invalid = await fetch(`${server.baseUrl}/api/spaces?limit=99`, { headers: { 'X-Request-Id': 'bad id with spaces' } });
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
    expect(wrong.headers.get('allow')).toBe('POST, GET');
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

describe('admin operations', () => {
  it('need a signed-in user (401), who must be an admin (403 ADMIN_REQUIRED)', async () => {
    expect((await listVerificationRequests()).response.status).toBe(401);
    const alice = await newUser('Alice');
    const denied = await listVerificationRequests(alice.as);
    expect(denied.response.status).toBe(403);
    expect(denied.error).toMatchObject({ code: 'ADMIN_REQUIRED' });
  });
});

describe('operations not built yet', () => {
  const contract = loadContract(bundlePath);
  const pending = new Set<string>(NOT_IMPLEMENTED);

  it('are exactly the contract\'s operations without a handler', () => {
    const all = operations.map((op) => op.operationId);
    expect(NOT_IMPLEMENTED.every((id) => all.includes(id))).toBe(true);
    expect(all.length - pending.size).toBe(17);
  });

  it('each answer 501 NOT_IMPLEMENTED as a problem, after authentication and validation', async () => {
    const user = await newUser('Caller');
    const admin = await newAdmin();
    const calls = contract.operations.filter((op) => pending.has(op.operationId)).map(async (op) => {
      const meta = operations.find((m) => m.operationId === op.operationId)!;
      const options = { ...requestArguments(contract, op), ...((meta.roles as readonly string[]).includes('admin') ? admin.as : user.as) };
      const call = (sdk as unknown as Record<string, (o: unknown) => Promise<any>>)[op.operationId]!;
      if (meta.eventStream) {
        let refused: unknown;
        const { stream } = await call({ ...options, onSseError: (e: unknown) => { refused = e; } });
        for await (const _ of stream) { /* nothing arrives */ }
        return [op.operationId, refused instanceof StreamError ? refused.status : 'no error', (refused as StreamError).body] as const;
      }
      const { response, error } = await call(options);
      return [op.operationId, response.status, error] as const;
    });
    const results = await Promise.all(calls);
    for (const [id, status, body] of results) {
      expect(status, `${id}: ${JSON.stringify(body)}`).toBe(501);
      expect(body).toMatchObject({ code: 'NOT_IMPLEMENTED', status: 501 });
    }
    expect(results).toHaveLength(68);
  });
});
