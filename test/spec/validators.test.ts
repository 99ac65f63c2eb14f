// The generated validators accept the references' own example inputs and reject inputs that break each
// limit the references (or our contract, where they are silent) state, naming the offending field.
import { describe, expect, it } from 'vitest';
import { validators, type ValidateFunction } from '../../generated/validators/index.gen.js';

const UUID = '497f6eca-6276-4993-bfeb-53cbbbba6f08';
const long = (n: number) => 'x'.repeat(n);

type Part = 'body' | 'query' | 'path' | 'header';
function validator(operationId: keyof typeof validators, part: Part): ValidateFunction {
  const v = validators[operationId][part];
  if (!v) throw new Error(`${operationId} has no ${part} validator`);
  return v;
}
/** Validates a copy (validators apply defaults and coercion in place); returns the instance paths in error. */
function run(operationId: keyof typeof validators, part: Part, input: unknown) {
  const data = structuredClone(input);
  const v = validator(operationId, part);
  const ok = v(data);
  return {
    ok,
    data,
    fields: (v.errors ?? []).map(
      (e) => e.instancePath || `/${(e.params as any).missingProperty ?? (e.params as any).additionalProperty ?? ''}`,
    ),
  };
}

describe("the references' own example inputs are accepted", () => {
  const accepted: Array<[keyof typeof validators, Part, unknown]> = [
    // AiArinova
    [
      'createSpace',
      'body',
      {
        name: 'My Space',
        description: '...',
        category: 'gaming',
        tags: ['fun', 'multiplayer'],
        definition: {},
        isPublic: true,
      },
    ],
    [
      'createSpace',
      'body',
      { name: 'My Space', definition: { iframeUrl: 'https://play.example.net/embed', theme: 'dark' } },
    ],
    ['joinSpaceSession', 'body', {}],
    [
      'createCommunity',
      'body',
      {
        name: 'Acme Official',
        type: 'official',
        joinFee: 0,
        monthlyFee: 9.99,
        agentCallFee: 0.25,
        csMode: 'hybrid',
        category: 'business',
      },
    ],
    ['createCommunity', 'body', { name: 'Chess club' }],
    ['updateCommunity', 'body', { joinFee: 4.35 }],
    ['addCommunityAgent', 'body', { listingId: UUID }],
    ['sendCommunityMessage', 'body', { content: 'Hello!' }],
    ['chatWithCommunityAgent', 'body', { content: 'Hi there', listingId: UUID }],
    ['acceptTransfer', 'body', { conversationId: UUID }],
    ['resolveConversation', 'body', { conversationId: UUID }],
    ['inviteCsAgent', 'body', { userId: UUID }],
    [
      'requestVerification',
      'body',
      { businessName: 'Acme Inc', businessRegistration: '12345', documentsUrl: 'https://docs.example.com/acme.pdf' },
    ],
    [
      'createLounge',
      'body',
      { name: 'My Lounge', description: '...', freeMinutesPerDay: 5, subscriptionPriceCents: 999 },
    ],
    ['reviewVerificationRequest', 'body', { status: 'approved' }],
    ['reviewVerificationRequest', 'body', { status: 'rejected', reviewerNotes: 'Registration number does not match.' }],
    ['getCsStatus', 'query', { conversationId: UUID }],
    // VirtuousAI Rooms: the curl examples of the reference
    ['createRoom', 'body', { name: 'string' }],
    ['createRoomInvitation', 'body', { inviteeKind: 'human' }],
    ['postRoomMessage', 'body', { body: 'string', idempotencyKey: 'string' }],
    ['editRoomMessage', 'body', { body: 'string', idempotencyKey: 'string' }],
    ['updateRoomAgentRole', 'body', { roleDocumentId: 'a94e1437-edb5-4d8f-8082-8e6bfd97d885' }],
    ['updateRoomRules', 'body', { rulesDocumentId: 'd4ac63fa-026f-4a3e-a7a6-0fe06012b8e5' }],
    ['updateRoomRules', 'body', { rulesDocumentId: null }],
    ['getRoom', 'path', { room_id: '497f6eca-6276-4993-bfeb-53cbbbba6f08' }],
    ['listRooms', 'query', { include_archived: 'true', limit: '100', offset: '0' }],
    ['listRoomTimeline', 'query', { beforeSeq: '10', limit: '1' }],
    ['listRoomRunToolEvents', 'query', { afterSeq: '3', limit: '200' }],
  ];
  it.each(accepted)('%s %s %j', (operationId, part, input) => {
    const result = run(operationId, part, input);
    expect(result.fields).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it("applies the references' defaults and coerces query strings", () => {
    expect(run('listSpaces', 'query', {}).data).toEqual({ page: 1, limit: 20 });
    expect(run('listRooms', 'query', {}).data).toMatchObject({ include_archived: false, limit: 50, offset: 0 });
    expect(run('listRooms', 'query', { include_archived: 'true', limit: '7' }).data).toMatchObject({
      include_archived: true,
      limit: 7,
    });
    expect(run('listRoomRunToolEvents', 'query', {}).data).toMatchObject({ limit: 100 });
    expect(run('createCommunity', 'body', { name: 'Club' }).data).toMatchObject({
      type: 'club',
      joinFee: 0,
      monthlyFee: 0,
      agentCallFee: 0,
      csMode: 'ai_only',
    });
    expect(run('createLounge', 'body', { name: 'Lounge' }).data).toMatchObject({
      freeMinutesPerDay: 5,
      subscriptionPriceCents: 0,
    });
  });
});

describe('each stated limit is enforced, naming the field', () => {
  const rejected: Array<[string, keyof typeof validators, Part, unknown, string]> = [
    // Spaces: name required; definition.iframeUrl must be https; page/limit (max 50)
    ['space name is required', 'createSpace', 'body', { description: 'no name' }, '/name'],
    ['space name is a string', 'createSpace', 'body', { name: 42 }, '/name'],
    [
      'iframeUrl must be https',
      'createSpace',
      'body',
      { name: 'S', definition: { iframeUrl: 'http://play.example.net' } },
      '/definition/iframeUrl',
    ],
    [
      'iframeUrl must be a URL',
      'createSpace',
      'body',
      { name: 'S', definition: { iframeUrl: 'https://' } },
      '/definition/iframeUrl',
    ],
    ['unknown body fields are rejected', 'createSpace', 'body', { name: 'S', colour: 'red' }, '/colour'],
    ['spaces limit max 50', 'listSpaces', 'query', { limit: '51' }, '/limit'],
    ['spaces limit min 1', 'listSpaces', 'query', { limit: '0' }, '/limit'],
    ['spaces page min 1', 'listSpaces', 'query', { page: '0' }, '/page'],
    ['spaces page is a number', 'listSpaces', 'query', { page: 'two' }, '/page'],
    ['unknown query parameters are rejected', 'listSpaces', 'query', { serach: 'chess' }, '/serach'],
    ['space id is a uuid', 'getSpace', 'path', { id: 'not-a-uuid' }, '/id'],
    ['urn:uuid ids are not accepted', 'getSpace', 'path', { id: `urn:uuid:${UUID}` }, '/id'],
    ['join agentId is a uuid', 'joinSpaceSession', 'body', { agentId: 'agent-7' }, '/agentId'],
    ['space sessions limit max 50', 'listSpaceSessions', 'query', { limit: '51' }, '/limit'],
    ['space sessions page min 1', 'listSpaceSessions', 'query', { page: '0' }, '/page'],
    // Communities: name 1-100, type official|club, csMode enum, fees non-negative numbers
    ['community name min 1', 'createCommunity', 'body', { name: '' }, '/name'],
    ['community name max 100', 'createCommunity', 'body', { name: long(101) }, '/name'],
    ['community type official|club', 'createCommunity', 'body', { name: 'C', type: 'guild' }, '/type'],
    ['csMode enum', 'createCommunity', 'body', { name: 'C', csMode: 'robots_only' }, '/csMode'],
    ['joinFee non-negative', 'createCommunity', 'body', { name: 'C', joinFee: -1 }, '/joinFee'],
    ['monthlyFee is a number', 'createCommunity', 'body', { name: 'C', monthlyFee: '9.99' }, '/monthlyFee'],
    ['fees have at most two decimals', 'createCommunity', 'body', { name: 'C', agentCallFee: 0.001 }, '/agentCallFee'],
    ['update fees non-negative', 'updateCommunity', 'body', { agentCallFee: -0.01 }, '/agentCallFee'],
    ['communities limit max 50', 'listCommunities', 'query', { limit: '51' }, '/limit'],
    ['my communities limit max 50', 'listMyCommunities', 'query', { limit: '51' }, '/limit'],
    ['joined communities page min 1', 'listJoinedCommunities', 'query', { page: '0' }, '/page'],
    ['members limit max 50', 'listCommunityMembers', 'query', { limit: '51' }, '/limit'],
    ['community agents limit max 50', 'listCommunityAgents', 'query', { limit: '51' }, '/limit'],
    ['agent listingId required', 'addCommunityAgent', 'body', {}, '/listingId'],
    ['message content min 1', 'sendCommunityMessage', 'body', { content: '' }, '/content'],
    ['message content max 5000', 'sendCommunityMessage', 'body', { content: long(5001) }, '/content'],
    ['message history limit max 100', 'listCommunityMessages', 'query', { limit: '101' }, '/limit'],
    ['message history cursor is a date-time', 'listCommunityMessages', 'query', { before: 'yesterday' }, '/before'],
    ['agent chat needs listingId', 'chatWithCommunityAgent', 'body', { content: 'hi' }, '/listingId'],
    ['accept-transfer needs conversationId', 'acceptTransfer', 'body', {}, '/conversationId'],
    ['cs-status needs conversationId', 'getCsStatus', 'query', {}, '/conversationId'],
    ['invite-cs userId is a uuid', 'inviteCsAgent', 'body', { userId: 'bob' }, '/userId'],
    // Lounge and admin
    ['lounge name max 100', 'createLounge', 'body', { name: long(101) }, '/name'],
    [
      'lounge price is an integer of cents',
      'createLounge',
      'body',
      { name: 'L', subscriptionPriceCents: 9.99 },
      '/subscriptionPriceCents',
    ],
    ['review status approved|rejected', 'reviewVerificationRequest', 'body', { status: 'maybe' }, '/status'],
    ['verification requests limit max 50', 'listVerificationRequests', 'query', { limit: '51' }, '/limit'],
    // Rooms: limits as the reference gives them
    ['rooms limit max 100', 'listRooms', 'query', { limit: '101' }, '/limit'],
    ['rooms limit min 1', 'listRooms', 'query', { limit: '0' }, '/limit'],
    ['rooms offset min 0', 'listRooms', 'query', { offset: '-1' }, '/offset'],
    ['room name min 1', 'createRoom', 'body', { name: '' }, '/name'],
    ['room name max 255', 'createRoom', 'body', { name: long(256) }, '/name'],
    ['room id is a uuid', 'getRoom', 'path', { room_id: 'general' }, '/room_id'],
    ['invitee kind human|agent', 'createRoomInvitation', 'body', { inviteeKind: 'robot' }, '/inviteeKind'],
    ['message body min 1', 'postRoomMessage', 'body', { body: '', idempotencyKey: 'k' }, '/body'],
    ['idempotencyKey required', 'postRoomMessage', 'body', { body: 'hi' }, '/idempotencyKey'],
    ['idempotencyKey min 1', 'postRoomMessage', 'body', { body: 'hi', idempotencyKey: '' }, '/idempotencyKey'],
    ['idempotencyKey max 200', 'postRoomMessage', 'body', { body: 'hi', idempotencyKey: long(201) }, '/idempotencyKey'],
    [
      'edit idempotencyKey max 200',
      'editRoomMessage',
      'body',
      { body: 'hi', idempotencyKey: long(201) },
      '/idempotencyKey',
    ],
    ['agent role is a uuid', 'updateRoomAgentRole', 'body', { roleDocumentId: 'writer' }, '/roleDocumentId'],
    ['rulesDocumentId is required (null clears)', 'updateRoomRules', 'body', {}, '/rulesDocumentId'],
    ['events limit max 100', 'listRoomEvents', 'query', { limit: '101' }, '/limit'],
    ['timeline limit min 1', 'listRoomTimeline', 'query', { limit: '0' }, '/limit'],
    ['tool events limit max 200', 'listRoomRunToolEvents', 'query', { limit: '201' }, '/limit'],
    ['room participants limit max 100', 'listRoomParticipants', 'query', { limit: '101' }, '/limit'],
    ['room invitations offset min 0', 'listRoomInvitations', 'query', { offset: '-1' }, '/offset'],
    ['agent roles limit max 100', 'listAgentRoles', 'query', { limit: '101' }, '/limit'],
    ['rules documents limit max 100', 'listRulesDocuments', 'query', { limit: '101' }, '/limit'],
    ['document versions limit max 20', 'listDocumentVersions', 'query', { limit: '21' }, '/limit'],
    [
      'document versions beforeVersion min 1',
      'listDocumentVersions',
      'query',
      { beforeVersion: '0' },
      '/beforeVersion',
    ],
    // Platform
    [
      'sign-up email format',
      'signUp',
      'body',
      { name: 'Alice', email: 'not-an-email', password: 'long enough pw' },
      '/email',
    ],
    [
      'sign-up password min 8',
      'signUp',
      'body',
      { name: 'Alice', email: 'alice@example.com', password: 'short' },
      '/password',
    ],
    ['credit amount positive', 'creditWallet', 'body', { amount: 0, reason: 'r', idempotencyKey: 'k' }, '/amount'],
  ];
  it.each(rejected)('%s', (_name, operationId, part, input, field) => {
    const result = run(operationId, part, input);
    expect(result.ok).toBe(false);
    expect(result.fields).toContain(field);
  });
});

describe('response validators', () => {
  it('reject a body that leaks an undocumented field', () => {
    const user = { id: UUID, name: 'Alice', email: 'alice@example.com', image: null };
    const ok = { user, expiresAt: '2026-12-01T00:00:00Z', authMethod: 'session', isAdmin: false };
    expect(validators.getSession.responses[200]!(ok)).toBe(true);
    expect(validators.getSession.responses[200]!({ ...ok, user: { ...user, passwordHash: 'scrypt$...' } })).toBe(false);
  });

  it('check problem+json error bodies too', () => {
    const problem = { type: '/problems/not-found', title: 'Not found', status: 404, code: 'NOT_FOUND' };
    expect(validators.getSpace.responses[404]!(problem)).toBe(true);
    expect(validators.getSpace.responses[404]!({ ...problem, code: 'not found' })).toBe(false);
    expect(
      validators.getRoom.responses[422]!({
        detail: [{ loc: ['path', 'room_id'], msg: 'Input should be a valid UUID', type: 'uuid_parsing' }],
      }),
    ).toBe(true);
  });
});
