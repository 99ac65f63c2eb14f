// The generated Handlers type accepts exactly what the contract documents: every @ts-expect-error below
// must be an error, or the typecheck (and this test file) fails.
import { describe, expectTypeOf, it } from 'vitest';
import type { AreaHandlers, HandlerRequest, HandlerResult, Handlers } from '../../generated/server/index.js';
import type { Contexts, HandlersOf } from '../../src/http/context.js';
import type { Principal } from '../../src/platform/principal.js';
import { rendered } from '../../src/platform/rendered.js';
import type { Transaction } from '../../src/platform/transactions.js';
import type { SpaceDetail, SpaceList, SpaceRow } from '../../generated/server/schemas.gen.js';

type Ctx = {
  none: { caller?: string };
  optional: { caller?: string };
  required: { caller: string };
  idempotent: { caller: string; trx: true };
};
type H = Handlers<Ctx>;

const space = {
  id: '497f6eca-6276-4993-bfeb-53cbbbba6f08',
  ownerId: '2c4a230c-5085-4924-a3e1-25fb4fc5965b',
  name: 'My Space',
  description: null,
  category: 'gaming',
  tags: ['fun'],
  definition: {},
  isPublic: true,
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
};
const problem = { type: '/problems/not-found', title: 'Not found', status: 404, code: 'NOT_FOUND' as const };

describe('Handlers', () => {
  it('accepts handlers that return documented statuses and bodies', () => {
    const getHealth: H['getHealth'] = async () => ({ status: 200, body: { status: 'ok' } });
    const createSpace: H['createSpace'] = async () => ({ status: 201, body: space });
    const deleteSpace: H['deleteSpace'] = async () => ({ status: 204 });
    const getSpace: H['getSpace'] = async () => ({ status: 404, body: problem });
    const join: H['joinSpaceSession'] = async (request) =>
      request.body?.agentId
        ? {
            status: 201,
            body: {
              id: space.id,
              isConnected: true,
              sessionId: space.id,
              userId: space.ownerId,
              agentId: request.body.agentId,
              role: 'player',
              controlMode: 'agent',
              joinedAt: space.createdAt,
            },
          }
        : { status: 404, body: problem };
    expectTypeOf(getHealth).toBeFunction();
    expectTypeOf([createSpace, deleteSpace, getSpace, join]).toBeArray();
  });

  it('rejects a status the contract does not document', () => {
    // @ts-expect-error getHealth documents 200 and 400, not 201
    const wrongStatus: H['getHealth'] = async () => ({ status: 201, body: { status: 'ok' } });
    // @ts-expect-error deleteSpace answers 204, never 200
    const noContent: H['deleteSpace'] = async () => ({ status: 200, body: space });
    // @ts-expect-error createSpace has no 409
    const conflict: H['createSpace'] = async () => ({ status: 409, body: problem });
    // @ts-expect-error getSpace's 404 carries NOT_FOUND only (x-problem-codes)
    const wrongCode: H['getSpace'] = async () => ({
      status: 404,
      body: { ...problem, code: 'NOT_SPACE_OWNER' as const },
    });
    expectTypeOf([wrongStatus, noContent, conflict, wrongCode]).toBeArray();
  });

  it('rejects a body that does not match the status', () => {
    // @ts-expect-error `status` must be the literal 'ok'
    const wrongValue: H['getHealth'] = async () => ({ status: 200, body: { status: 'fine' } });
    // @ts-expect-error a SpaceRow needs every required field (no `id` here)
    const missing: H['createSpace'] = async () => ({ status: 201, body: { ...space, id: undefined } });
    // @ts-expect-error an error status needs a Problem body, not a SpaceRow
    const errorBody: H['getSpace'] = async () => ({ status: 404, body: space });
    // @ts-expect-error a 201 without a body
    const noBody: H['createSpace'] = async () => ({ status: 201 });
    expectTypeOf([wrongValue, missing, errorBody, noBody]).toBeArray();
  });

  it('accepts a body rendered as text only as the type the status documents', () => {
    const list: H['listSpaces'] = async () => ({ status: 200, body: rendered<SpaceList>('{}') });
    const detail: H['getSpace'] = async () => ({ status: 200, body: rendered<SpaceDetail>('{}') });
    // @ts-expect-error getSpace's 200 is a SpaceDetail, not a SpaceList
    const wrongType: H['getSpace'] = async () => ({ status: 200, body: rendered<SpaceList>('{}') });
    // @ts-expect-error a SpaceRow lacks the detail's owner and sessions
    const narrower: H['getSpace'] = async () => ({ status: 200, body: rendered<SpaceRow>('{}') });
    // @ts-expect-error a plain string is not a rendered body
    const text: H['listSpaces'] = async () => ({ status: 200, body: '{}' });
    // @ts-expect-error 204 documents no body, rendered or not
    const noContent: H['deleteSpace'] = async () => ({ status: 204, body: rendered<undefined>('null') });
    expectTypeOf([list, detail, wrongType, narrower, text, noContent]).toBeArray();
  });

  it('rejects a Handlers object that misses an operation', () => {
    const getHealth: H['getHealth'] = async () => ({ status: 200, body: { status: 'ok' } });
    // @ts-expect-error every operationId needs a handler
    const incomplete: H = { getHealth };
    expectTypeOf(incomplete).toBeObject();
  });

  it('types streaming operations as a stream of the documented events', () => {
    const chat: H['chatWithCommunityAgent'] = async () => ({
      status: 200,
      stream: (async function* () {
        yield { data: { type: 'meta' as const, communityId: space.id, userMessageId: space.id } };
        yield { data: { type: 'done' as const, agentMessageId: space.id } };
      })(),
    });
    // @ts-expect-error a stream's events must be documented events
    const badEvent: H['chatWithCommunityAgent'] = async () => ({
      status: 200,
      stream: (async function* () {
        yield { data: { type: 'nonsense' } };
      })(),
    });
    expectTypeOf([chat, badEvent]).toBeArray();
  });

  it('gives handlers the validated request and the documented results', () => {
    expectTypeOf<HandlerRequest<'getSpace'>['path']>().toEqualTypeOf<{ id: string }>();
    expectTypeOf<Extract<HandlerResult<'deleteSpace'>, { status: 204 }>>().toMatchTypeOf<{ status: 204 }>();
  });

  it('gives an operation that requires a caller a non-optional principal, and an idempotent one its transaction', () => {
    type Authed = Parameters<HandlersOf<'spaces'>['createSpace']>[1];
    type Public = Parameters<HandlersOf<'spaces'>['listSpaces']>[1];
    type Idempotent = Parameters<Handlers<Contexts>['postRoomMessage']>[1];
    expectTypeOf<Authed['principal']>().toEqualTypeOf<Principal>();
    expectTypeOf<Public['principal']>().toEqualTypeOf<Principal | undefined>();
    expectTypeOf<Idempotent['trx']>().toEqualTypeOf<Transaction>();
    const createSpace: HandlersOf<'spaces'>['createSpace'] = async (_request, ctx) => ({
      status: 201,
      body: { ...space, ownerId: ctx.principal.user.id },
    });
    const listSpaces: HandlersOf<'spaces'>['listSpaces'] = async (_request, ctx) => ({
      status: 200,
      // @ts-expect-error a public operation's caller may be absent: no unchecked access
      body: { spaces: [], total: 0, page: 1, totalPages: ctx.principal.user.id.length },
    });
    expectTypeOf([createSpace, listSpaces]).toBeArray();
  });

  it('makes request fields that have a default in the contract non-optional', () => {
    expectTypeOf<HandlerRequest<'listSpaces'>['query']['page']>().toEqualTypeOf<number>();
    expectTypeOf<HandlerRequest<'listSpaces'>['query']['limit']>().toEqualTypeOf<number>();
    expectTypeOf<HandlerRequest<'listSpaces'>['query']['search']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<HandlerRequest<'createApiKey'>['body']['expiresInDays']>().toEqualTypeOf<number>();
    // @ts-expect-error `page` is defaulted by the validators: never undefined
    const page: HandlerRequest<'listSpaces'>['query']['page'] = undefined;
    expectTypeOf(page).toBeNumber();
  });

  it('types the documented response headers: a wrong name or value is a compile error', () => {
    const ok: H['createApiKey'] = async () => ({
      status: 201,
      body: {
        id: space.id,
        name: 'k',
        prefix: 'pk_abcdef',
        createdAt: space.createdAt,
        expiresAt: null,
        lastUsedAt: null,
        key: 'pk_x',
      },
      headers: { 'Cache-Control': 'no-store' },
    });
    // @ts-expect-error Cache-Control is documented as the constant `no-store`
    const wrongValue: H['createApiKey'] = async () => ({
      status: 201,
      body: {
        id: space.id,
        name: 'k',
        prefix: 'pk_abcdef',
        createdAt: space.createdAt,
        expiresAt: null,
        lastUsedAt: null,
        key: 'pk_x',
      },
      headers: { 'Cache-Control': 'max-age=60' },
    });
    // @ts-expect-error `X-Debug` is not a documented header of createApiKey's 201
    const wrongName: H['createApiKey'] = async () => ({
      status: 201,
      body: {
        id: space.id,
        name: 'k',
        prefix: 'pk_abcdef',
        createdAt: space.createdAt,
        expiresAt: null,
        lastUsedAt: null,
        key: 'pk_x',
      },
      headers: { 'X-Debug': '1' },
    });
    // @ts-expect-error getSpace documents no response header at all
    const none: H['getSpace'] = async () => ({
      status: 200,
      body: { ...space, owner: { id: space.ownerId, name: 'A', image: null }, sessions: [] },
      headers: { 'Cache-Control': 'no-store' },
    });
    expectTypeOf([ok, wrongValue, wrongName, none]).toBeArray();
  });

  it("checks each area's handler object on its own: a missing operation does not compile", () => {
    const getHealth: AreaHandlers<'health', Ctx>['getHealth'] = async () => ({ status: 200, body: { status: 'ok' } });
    // @ts-expect-error the health area also has getReadiness
    const incomplete: AreaHandlers<'health', Ctx> = { getHealth };
    const foreign: AreaHandlers<'health', Ctx> = {
      getHealth,
      getReadiness: async () => ({ status: 503, body: { status: 'unavailable', checks: { database: 'failing' } } }),
      // @ts-expect-error createSpace belongs to the spaces area, not to health
      createSpace: async () => ({ status: 201, body: space }),
    };
    expectTypeOf([incomplete, foreign]).toBeArray();
  });
});
