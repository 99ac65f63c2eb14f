// The client's types say what can come back: each operation's error is the union of the problem codes its
// contract lists (a misspelt code does not compile, narrowing on `code` works, 501 is in every union), and a
// result without a response (network failure) has a NetworkError and no `response`. Every @ts-expect-error
// below must be an error, or the typecheck (and this test file) fails.
import { describe, expectTypeOf, it } from 'vitest';
import { NetworkError, signUp, type DeleteSpaceError, type ListSpacesError, type SignUpError } from '@platform/client';

declare const result: Awaited<ReturnType<typeof signUp<false>>>;

describe('client types', () => {
  it('types each operation\'s error codes as the union its contract lists', () => {
    expectTypeOf<SignUpError['code']>().toEqualTypeOf<'CROSS_SITE_REQUEST' | 'EMAIL_TAKEN' | 'INVALID_JSON' | 'NOT_IMPLEMENTED' | 'PAYLOAD_TOO_LARGE' | 'RATE_LIMITED' | 'VALIDATION_FAILED'>();
    expectTypeOf<DeleteSpaceError['code']>().toEqualTypeOf<'CROSS_SITE_REQUEST' | 'NOT_FOUND' | 'NOT_IMPLEMENTED' | 'NOT_SPACE_OWNER' | 'UNAUTHENTICATED' | 'VALIDATION_FAILED'>();
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
