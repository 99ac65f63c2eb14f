// The generated Handlers type accepts exactly what the contract documents: every @ts-expect-error below
// must be an error, or the typecheck (and this test file) fails.
import { describe, expectTypeOf, it } from 'vitest';
import type { HandlerRequest, HandlerResult, Handlers } from '../../generated/server/index.js';

type Ctx = { userId: string };
type H = Handlers<Ctx>;

const space = {
  id: '497f6eca-6276-4993-bfeb-53cbbbba6f08', ownerId: '2c4a230c-5085-4924-a3e1-25fb4fc5965b', name: 'My Space',
  description: null, category: 'gaming', tags: ['fun'], definition: {}, isPublic: true,
  createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z',
};
const problem = { type: '/problems/not-found', title: 'Not found', status: 404, code: 'NOT_FOUND' };

describe('Handlers', () => {
  it('accepts handlers that return documented statuses and bodies', () => {
    const getHealth: H['getHealth'] = async () => ({ status: 200, body: { status: 'ok' } });
    const createSpace: H['createSpace'] = async () => ({ status: 201, body: space });
    const deleteSpace: H['deleteSpace'] = async () => ({ status: 204 });
    const getSpace: H['getSpace'] = async () => ({ status: 404, body: problem });
    const join: H['joinSpaceSession'] = async (request) => request.body?.agentId
      ? { status: 201, body: { id: space.id, isConnected: true, sessionId: space.id, userId: space.ownerId, agentId: request.body.agentId, role: 'player', controlMode: 'agent', joinedAt: space.createdAt } }
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
    expectTypeOf([wrongStatus, noContent, conflict]).toBeArray();
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
    const badEvent: H['chatWithCommunityAgent'] = async () => ({ status: 200, stream: (async function* () { yield { data: { type: 'nonsense' } }; })() });
    expectTypeOf([chat, badEvent]).toBeArray();
  });

  it('gives handlers the validated request and the documented results', () => {
    expectTypeOf<HandlerRequest<'getSpace'>['path']>().toEqualTypeOf<{ id: string }>();
    expectTypeOf<Extract<HandlerResult<'deleteSpace'>, { status: 204 }>>().toMatchTypeOf<{ status: 204 }>();
  });
});
