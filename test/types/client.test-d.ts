// The client's types say what can come back: each operation's error is the union of the problem codes its
// contract lists (a misspelt code does not compile, narrowing on `code` works, 501 is in every union), and a
// result without a response (network failure) has a NetworkError and no `response`. Every @ts-expect-error
// below must be an error, or the typecheck (and this test file) fails.
import { describe, expectTypeOf, it } from 'vitest';
import {
  getRoom,
  isApiError,
  isStreamError,
  listRoomEvents,
  listRooms,
  NetworkError,
  paginate,
  type postRoomMessage,
  type signUp,
  type ApiError,
  type DeleteSpaceError,
  type ListRoomEventsResponse,
  type ListRoomsError,
  type ListRoomsResponse,
  type ListSpacesError,
  type Paginator,
  type Room,
  type RoomEvent,
  type SignUpError,
  type StreamError,
  type StreamRoomEventsError,
} from '@platform/client';

declare const result: Awaited<ReturnType<typeof signUp<false>>>;

describe('client types', () => {
  it("types each operation's error codes as the union its contract lists", () => {
    expectTypeOf<SignUpError['code']>().toEqualTypeOf<
      | 'CROSS_SITE_REQUEST'
      | 'EMAIL_TAKEN'
      | 'INVALID_JSON'
      | 'NOT_IMPLEMENTED'
      | 'PAYLOAD_TOO_LARGE'
      | 'RATE_LIMITED'
      | 'VALIDATION_FAILED'
    >();
    expectTypeOf<DeleteSpaceError['code']>().toEqualTypeOf<
      | 'CROSS_SITE_REQUEST'
      | 'NOT_FOUND'
      | 'NOT_IMPLEMENTED'
      | 'NOT_SPACE_OWNER'
      | 'UNAUTHENTICATED'
      | 'VALIDATION_FAILED'
    >();
    expectTypeOf<'NOT_IMPLEMENTED'>().toExtend<ListSpacesError['code']>();
  });

  it('rejects a misspelt code and narrows on a real one', () => {
    if (result.error && !(result.error instanceof NetworkError)) {
      // @ts-expect-error EMAIL_TAKEM is not a code signUp can answer
      if (result.error.code === 'EMAIL_TAKEM') throw new Error('unreachable');
      if (result.error.code === 'EMAIL_TAKEN') expectTypeOf(result.error.status).toEqualTypeOf<number>();
      if (result.error.code === 'RATE_LIMITED') expectTypeOf(result.error.code).toEqualTypeOf<'RATE_LIMITED'>();
    }
  });

  it('has no response when the request got none, and then the error is a NetworkError', () => {
    // @ts-expect-error response is undefined when the server could not be reached
    expectTypeOf(result.response.status).toEqualTypeOf<number>();
    if (!result.response) expectTypeOf(result.error).toEqualTypeOf<NetworkError>();
    if (result.response) expectTypeOf(result.error).toEqualTypeOf<SignUpError | undefined>();
    if (!result.error) expectTypeOf(result.response).toEqualTypeOf<Response>();
  });
});

describe('thrown errors, paging and options', () => {
  it("narrows a caught error to an operation's codes with isApiError, and rejects a misspelt one", () => {
    const caught: unknown = undefined;
    if (isApiError(caught, 'listRooms')) {
      expectTypeOf(caught).toEqualTypeOf<ApiError<ListRoomsError>>();
      expectTypeOf(caught.code).toEqualTypeOf<'NOT_IMPLEMENTED' | 'UNAUTHENTICATED' | undefined>();
      // @ts-expect-error NOT_FUOND is not a code listRooms can answer
      if (caught.code === 'NOT_FUOND') throw new Error('unreachable');
    }
    if (isStreamError(caught, 'streamRoomEvents')) {
      expectTypeOf(caught).toEqualTypeOf<StreamError<StreamRoomEventsError>>();
      // @ts-expect-error TOO_MANY_STREAM is misspelt
      if (caught.code === 'TOO_MANY_STREAM') throw new Error('unreachable');
    }
    // @ts-expect-error listRoom is not an operation
    isApiError(caught, 'listRoom');
  });

  it("types paginate's items and pages from the operation, and refuses an operation that does not page", () => {
    expectTypeOf(paginate(listRooms)).toEqualTypeOf<Paginator<Room, ListRoomsResponse>>();
    expectTypeOf(paginate(listRoomEvents, { path: { room_id: 'r' } })).toEqualTypeOf<
      Paginator<RoomEvent, ListRoomEventsResponse>
    >();
    // @ts-expect-error listRoomEvents needs its path
    paginate(listRoomEvents);
    // @ts-expect-error getRoom is not a paged list
    paginate(getRoom, { path: { room_id: 'r' } });
    // @ts-expect-error throwOnError is paginate's to set
    paginate(listRooms, { throwOnError: false });
  });

  it('makes idempotency keys optional, and takes retry and timeout per call', () => {
    // (`undefined` for optional properties under exactOptionalPropertyTypes is compiled by the partner test.)
    expectTypeOf<{ path: { room_id: string }; body: { body: string } }>().toExtend<
      Parameters<typeof postRoomMessage>[0]
    >();
    expectTypeOf<{ retry: false; timeout: 1000 }>().toExtend<Parameters<typeof listRooms>[0]>();
    expectTypeOf<{ retry: { maxRetries: 5; maxDelayMs: 2000 } }>().toExtend<Parameters<typeof listRooms>[0]>();
    // @ts-expect-error retry takes its documented settings only
    listRooms({ retry: { maxRetry: 5 } });
  });
});
