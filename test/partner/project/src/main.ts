// A partner's program, compiled with strict TypeScript (exactOptionalPropertyTypes too) against the packed
// @platform/client and run against a live server (its URL is the first argument): sign up, create, list with
// paging and with paginate, a typed 4xx, a typed caught error, retries through a flaky proxy, a refused stream
// (the streaming guide's sample, copied here as room-stream.ts by the test). Exits 1 on any surprise.
import {
  ApiError, bearerToken, client, createPlatformClient, createRoom, createSpace, getSpace, isApiError, listRooms, listSpaces, NetworkError,
  paginate, postRoomMessage, signUp, StreamError, type CreateSpaceError, type SignUpError,
} from '@platform/client';
import { flakyProxy } from './flaky.js';
import { followRoom } from './room-stream.js';

const baseUrl = process.argv[2];
if (!baseUrl) throw new Error('usage: node dist/main.js <base url>');
client.setConfig({ baseUrl });

function check(condition: boolean, what: string): asserts condition {
  if (!condition) throw new Error(`partner check failed: ${what}`);
  console.log(`ok - ${what}`);
}

const tag = `p${Date.now().toString(36)}`;
const email = `partner.${tag}@example.com`;

// Sign up; the session token is sent as a bearer token from then on.
const signedUp = await signUp({ body: { name: 'Partner', email, password: 'partner-password-1' } });
if (signedUp.error instanceof NetworkError) throw signedUp.error;
if (signedUp.error) throw new Error(`sign-up refused: ${signedUp.error.code}`);
check(signedUp.response.status === 201, 'sign-up answers 201 with a session');
client.setConfig({ auth: bearerToken(signedUp.data.token) });

// A typed 4xx: the same email again is 409 EMAIL_TAKEN, and the code narrows the error's type.
const again = await signUp({ body: { name: 'Partner', email, password: 'partner-password-1' } });
const taken: SignUpError | NetworkError | undefined = again.error;
check(again.response?.status === 409 && !(taken instanceof NetworkError) && taken?.code === 'EMAIL_TAKEN', 'signing up twice is a typed 409 EMAIL_TAKEN');

// Create three spaces, then read them back two at a time.
for (const n of [1, 2, 3]) {
  const created = await createSpace({ body: { name: `${tag} space ${n}`, category: 'partners', tags: [tag] }, throwOnError: true });
  check(created.data.name === `${tag} space ${n}`, `created space ${n} (${created.data.id})`);
}
const page1 = await listSpaces({ query: { search: tag, limit: 2, page: 1 }, throwOnError: true });
const page2 = await listSpaces({ query: { search: tag, limit: 2, page: 2 }, throwOnError: true });
check(page1.data.total === 3 && page1.data.spaces.length === 2 && page2.data.spaces.length === 1, 'lists 3 spaces as pages of 2 and 1');
const names = new Set([...page1.data.spaces, ...page2.data.spaces].map((space) => space.name));
check(names.size === 3, 'the two pages do not overlap');

// The same list with paginate: every item, pages fetched as the contract says; optional options may be undefined.
const pageSize: number | undefined = 2;
const walked: string[] = [];
for await (const space of paginate(listSpaces, { query: { search: tag, limit: pageSize, category: undefined }, signal: undefined })) walked.push(space.name);
check(walked.length === 3 && new Set(walked).size === 3, 'paginate(listSpaces) walks all 3 spaces, 2 a page');

// A validation error, typed: the operation's 400 codes.
const invalid = await createSpace({ body: { name: '' } });
const refusal: CreateSpaceError | NetworkError | undefined = invalid.error;
check(!(refusal instanceof NetworkError) && refusal?.code === 'VALIDATION_FAILED', 'an empty name is a typed 400 VALIDATION_FAILED');

// throwOnError throws an Error subclass with the status, code, problem body and request id.
const missing = await getSpace({ path: { id: '00000000-0000-4000-8000-000000000000' }, throwOnError: true }).then(() => undefined, (e: unknown) => e);
check(missing instanceof ApiError && missing.status === 404 && missing.code === 'NOT_FOUND' && typeof missing.requestId === 'string' && typeof missing.stack === 'string',
  'throwOnError throws an ApiError 404 NOT_FOUND with a request id and a stack');

// A caught error narrowed to its operation: its code is typed by the contract.
const caught = await getSpace({ path: { id: '00000000-0000-4000-8000-000000000000' }, throwOnError: true }).then(() => undefined, (e: unknown) => e);
if (!isApiError(caught, 'getSpace')) throw new Error(`expected getSpace's ApiError, got ${String(caught)}`);
const code: 'NOT_FOUND' | 'NOT_IMPLEMENTED' | 'UNAUTHENTICATED' | 'VALIDATION_FAILED' | undefined = caught.code;
check(code === 'NOT_FOUND' && String(caught).startsWith('ApiError: 404 NOT_FOUND') && String(caught).includes(`request id ${caught.requestId}`),
  'a caught getSpace error narrows with isApiError to its typed codes and prints a one-line summary');

// Retries through a flaky proxy (two 503s with Retry-After: 0): a GET and a room message (idempotent; the
// client makes its key) succeed, a message posted once; the client's setting turns retries off.
const flaky = await flakyProxy(baseUrl, 2);
const viaFlaky = createPlatformClient({ baseUrl: flaky.url, auth: bearerToken(signedUp.data.token), retry: { maxRetries: 3 }, timeout: 10_000 });
const listed = await listRooms({ client: viaFlaky, throwOnError: true });
check(flaky.requests() === 3 && Array.isArray(listed.data.items), 'a GET is retried after two 503s and succeeds');
const room0 = await createRoom({ body: { name: `${tag} retried` }, throwOnError: true });
const flaky2 = await flakyProxy(baseUrl, 1);
const posted = await postRoomMessage({ client: createPlatformClient({ baseUrl: flaky2.url, auth: bearerToken(signedUp.data.token) }), path: { room_id: room0.data.id }, body: { body: 'hello' }, throwOnError: true });
check(flaky2.requests() === 2 && posted.data.body === 'hello', 'a room message without a key is retried after a 503 and posted');
const flaky3 = await flakyProxy(baseUrl, 1);
const noRetry = await listRooms({ client: createPlatformClient({ baseUrl: flaky3.url, auth: bearerToken(signedUp.data.token), retry: false }) });
check(noRetry.response?.status === 503 && flaky3.requests() === 1, 'retry: false returns the first 503');
for (const proxy of [flaky, flaky2, flaky3]) proxy.close();

// A refused stream surfaces as a StreamError from the loop, at once (the guide's followRoom).
const room = await createRoom({ body: { name: `${tag} room` }, throwOnError: true });
const started = Date.now();
client.setConfig({ auth: bearerToken('not-a-valid-token') });
const stranger = await followRoom(room.data.id, 0, () => undefined, AbortSignal.timeout(10_000)).then(() => undefined, (e: unknown) => e);
client.setConfig({ auth: bearerToken(signedUp.data.token) });
check(stranger instanceof StreamError && stranger.status === 401 && stranger.code === 'UNAUTHENTICATED' && Date.now() - started < 5_000,
  'a stream refused with 401 throws a StreamError at once, without retrying');
const events: string[] = [];
const owner = await followRoom(room.data.id, 0, (event) => events.push(event.type), AbortSignal.timeout(3_000)).then(() => undefined, (e: unknown) => e);
check(!(owner instanceof StreamError) && events[0] === 'room.created' && events[1] === 'participant.joined',
  `the owner's stream delivers the room's log from afterSeq 0 (${events.join(', ')})`);
console.log('partner program: all checks passed');
