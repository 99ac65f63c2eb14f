// The client's results and errors, against the real server: an error status is the documented body (or,
// with throwOnError, a thrown ApiError with status, code, body and request id); no response at all is a
// NetworkError with `response` undefined, whether returned or thrown.
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ApiError, createPlatformClient, getRoom, getSpace, listSpaces, NetworkError, signUp } from '@platform/client';
import { UNKNOWN } from '../helpers/rooms.js';
import { useTestServer } from '../helpers/server.js';
import { newUser } from '../helpers/users.js';

const server = useTestServer();

/** A port nothing listens on: taken, then released. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('an error status', () => {
  it('is the documented problem body in `error`, with its response', async () => {
    const alice = await newUser('Alice');
    const result = await signUp({ body: { name: 'Again', email: alice.user.email, password: 'another-password' } });
    expect(result.response?.status).toBe(409);
    expect(result.error).toMatchObject({ status: 409, code: 'EMAIL_TAKEN' });
    expect(result.error).not.toBeInstanceOf(Error);
  });

  it('with throwOnError is thrown as an ApiError: an Error with status, code, problem body and request id', async () => {
    const alice = await newUser('Alice');
    const thrown = await getSpace({ path: { id: UNKNOWN }, ...alice.as, throwOnError: true }).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(ApiError);
    expect(thrown).toBeInstanceOf(Error);
    const error = thrown as ApiError;
    expect(error).toMatchObject({ name: 'ApiError', kind: 'response', status: 404, code: 'NOT_FOUND', body: { code: 'NOT_FOUND', status: 404 } });
    expect(error.requestId).toBe(error.response.headers.get('x-request-id'));
    expect(error.requestId).toBe((error.body as { requestId: string }).requestId);
    expect(error.stack).toContain('ApiError');
    expect(error.message).toMatch(/^404 NOT_FOUND: /);
  });

  it('with throwOnError on a Rooms validation error carries FastAPI\'s body and no code', async () => {
    const alice = await newUser('Alice');
    const error = await getRoom({ path: { room_id: 'not-a-uuid' }, ...alice.as, throwOnError: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 422, code: undefined, body: { detail: [expect.objectContaining({ loc: ['path', 'room_id'] })] } });
  });
});

describe('no response', () => {
  it('is a NetworkError in `error` and `response` is undefined', async () => {
    const offline = createPlatformClient({ baseUrl: `http://127.0.0.1:${await closedPort()}` });
    const result = await listSpaces({ client: offline });
    expect(result.response).toBeUndefined();
    expect(result.data).toBeUndefined();
    expect(result.error).toBeInstanceOf(NetworkError);
    expect(result.error).toMatchObject({ name: 'NetworkError', kind: 'network' });
    expect((result.error as NetworkError).cause).toBeInstanceOf(Error);
    expect((result.error as NetworkError).message).toMatch(/^No response from GET http:\/\/127\.0\.0\.1:\d+\/api\/spaces/);
  });

  it('with throwOnError is thrown as the same NetworkError', async () => {
    const offline = createPlatformClient({ baseUrl: `http://127.0.0.1:${await closedPort()}` });
    await expect(listSpaces({ client: offline, throwOnError: true })).rejects.toBeInstanceOf(NetworkError);
  });

  it('includes an aborted request', async () => {
    const alice = await newUser('Alice');
    const result = await listSpaces({ ...alice.as, baseUrl: server.baseUrl, signal: AbortSignal.abort() });
    expect(result.error).toBeInstanceOf(NetworkError);
    expect((result.error as NetworkError).cause).toMatchObject({ name: 'AbortError' });
  });
});
