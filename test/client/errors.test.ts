// The client's results and errors, against the real server: an error status is the documented body (or,
// with throwOnError, a thrown ApiError with status, code, body and request id); no response at all is a
// NetworkError with `response` undefined, whether returned or thrown.
import { spawnSync } from 'node:child_process';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  ApiError,
  ConfigurationError,
  createPlatformClient,
  createRoom,
  getRoom,
  getSpace,
  isApiError,
  isStreamError,
  listSpaces,
  NetworkError,
  signUp,
  streamRoomEvents,
  StreamError,
} from '@platform/client';
import { UNKNOWN } from '../helpers/rooms.js';
import { useTestServer } from '../helpers/server.js';
import { newUser } from '../helpers/users.js';
import { freePort } from '../helpers/ports.js';

const server = useTestServer();

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
    expect(error).toMatchObject({
      name: 'ApiError',
      kind: 'response',
      status: 404,
      code: 'NOT_FOUND',
      body: { code: 'NOT_FOUND', status: 404 },
    });
    expect(error.requestId).toBe(error.response.headers.get('x-request-id'));
    expect(error.requestId).toBe((error.body as { requestId: string }).requestId);
    expect(error.stack).toContain('ApiError');
    expect(error.message).toMatch(/^404 NOT_FOUND: /);
  });

  it("with throwOnError on a Rooms validation error carries FastAPI's body and no code, and says its first detail", async () => {
    const alice = await newUser('Alice');
    const error = await getRoom({ path: { room_id: 'not-a-uuid' }, ...alice.as, throwOnError: true }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 422,
      code: undefined,
      body: { detail: [expect.objectContaining({ loc: ['path', 'room_id'] })] },
    });
    const { msg } = (error as ApiError<{ detail: Array<{ msg: string }> }>).body.detail[0]!;
    expect((error as ApiError).message).toBe(`422: ${msg} (at path.room_id)`);
    const many = await createRoom({
      body: { name: '', description: 5 as unknown as string },
      ...alice.as,
      throwOnError: true,
    }).catch((e: unknown) => e);
    expect((many as ApiError).message).toMatch(/^422: .+ \(at body\.\w+\), and 1 more$/);
  });

  it('is narrowed by isApiError to the operation that failed, whose codes its type knows', async () => {
    const alice = await newUser('Alice');
    const error = await getSpace({ path: { id: UNKNOWN }, ...alice.as, throwOnError: true }).catch((e: unknown) => e);
    expect(isApiError(error)).toBe(true);
    expect(isApiError(error, 'getSpace')).toBe(true);
    expect(isApiError(error, 'getRoom')).toBe(false);
    if (!isApiError(error, 'getSpace')) throw new Error('unreachable');
    expect(error.operationId).toBe('getSpace');
    expect(error.code === 'NOT_FOUND' && error.body.status).toBe(404);
  });

  it('prints as a short summary: status, code, message, request id; not the Response', async () => {
    const alice = await newUser('Alice');
    const error = (await getSpace({ path: { id: UNKNOWN }, ...alice.as, throwOnError: true }).catch(
      (e: unknown) => e,
    )) as ApiError;
    const printed = inspect(error);
    expect(printed.split('\n')[0]).toBe(`ApiError: ${error.message} (request id ${error.requestId})`);
    expect(printed).toMatch(/^ApiError: 404 NOT_FOUND: .+\n\s+at /);
    expect(printed).not.toMatch(/Headers|ReadableStream|bodyUsed/);
    expect(printed.split('\n').length).toBeLessThanOrEqual(12);
    expect(String(error)).toBe(`ApiError: ${error.message} (request id ${error.requestId})`);
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      name: 'ApiError',
      status: 404,
      code: 'NOT_FOUND',
      message: error.message,
      requestId: error.requestId,
      operationId: 'getSpace',
    });
    expect(Object.keys(error)).not.toContain('response');
  });

  it('uncaught, ends the process with that summary and the stack, not the Response', () => {
    const program =
      "import { ApiError } from '@platform/client'; throw new ApiError(new Response('{}', { status: 404, headers: { 'x-request-id': 'req-1' } }), { code: 'NOT_FOUND', status: 404, detail: 'Room not found' }, 'getRoom');";
    const run = spawnSync(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', program],
      { encoding: 'utf8' },
    );
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('ApiError: 404 NOT_FOUND: Room not found');
    expect(run.stderr).toMatch(/status: 404,\s+code: 'NOT_FOUND',\s+requestId: 'req-1',\s+operationId: 'getRoom'/);
    expect(run.stderr).not.toMatch(/Headers|ReadableStream|bodyUsed/);
    expect(run.stderr.trim().split('\n').length).toBeLessThan(25);
  });

  it('of a stream is a StreamError naming its operation, narrowed by isStreamError', async () => {
    const owner = await newUser('Owner');
    const stranger = await newUser('Stranger');
    const room = await createRoom({ body: { name: 'Private' }, ...owner.as, throwOnError: true });
    const { stream } = await streamRoomEvents({ path: { room_id: room.data.id }, ...stranger.as });
    const error = await (async () => {
      for await (const _ of stream) {
        /* refused before any event */
      }
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamError);
    expect(isStreamError(error, 'streamRoomEvents')).toBe(true);
    expect(isApiError(error, 'streamRoomEvents')).toBe(true);
    expect(isStreamError(error, 'listRooms')).toBe(false);
    if (isStreamError(error, 'streamRoomEvents')) expect(error.code).toBe('NOT_FOUND');
  });
});

describe('a client without a server', () => {
  it('throws a ConfigurationError naming the fix, not a raw TypeError, with or without throwOnError', async () => {
    const unset = createPlatformClient({});
    const thrown = await listSpaces({ client: unset }).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(ConfigurationError);
    expect((thrown as Error).message).toBe(
      "GET /api/spaces has no server: set the client's base URL, e.g. client.setConfig({ baseUrl: 'https://api.example.com' }), or pass baseUrl to the call",
    );
    await expect(
      signUp({
        client: unset,
        body: { name: 'A', email: 'a@example.com', password: 'password-1' },
        throwOnError: true,
      }),
    ).rejects.toBeInstanceOf(ConfigurationError);
    await expect(streamRoomEvents({ client: unset, path: { room_id: UNKNOWN } })).rejects.toBeInstanceOf(
      ConfigurationError,
    );
    const relative = createPlatformClient({ baseUrl: '/api-base' });
    await expect(listSpaces({ client: relative })).rejects.toBeInstanceOf(ConfigurationError);
  });
});

describe('no response', () => {
  it('is a NetworkError in `error` and `response` is undefined', async () => {
    const offline = createPlatformClient({ baseUrl: `http://127.0.0.1:${await freePort()}` });
    const result = await listSpaces({ client: offline });
    expect(result.response).toBeUndefined();
    expect(result.data).toBeUndefined();
    expect(result.error).toBeInstanceOf(NetworkError);
    expect(result.error).toMatchObject({ name: 'NetworkError', kind: 'network' });
    expect((result.error as NetworkError).cause).toBeInstanceOf(Error);
    expect((result.error as NetworkError).message).toMatch(
      /^No response from GET http:\/\/127\.0\.0\.1:\d+\/api\/spaces/,
    );
    // The root reason, not only fetch's "fetch failed".
    expect((result.error as NetworkError).message).toMatch(/: fetch failed: connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
  });

  it('with throwOnError is thrown as the same NetworkError', async () => {
    const offline = createPlatformClient({ baseUrl: `http://127.0.0.1:${await freePort()}` });
    await expect(listSpaces({ client: offline, throwOnError: true })).rejects.toBeInstanceOf(NetworkError);
  });

  it('includes an aborted request', async () => {
    const alice = await newUser('Alice');
    const result = await listSpaces({ ...alice.as, baseUrl: server.baseUrl, signal: AbortSignal.abort() });
    expect(result.error).toBeInstanceOf(NetworkError);
    expect((result.error as NetworkError).cause).toMatchObject({ name: 'AbortError' });
  });
});
