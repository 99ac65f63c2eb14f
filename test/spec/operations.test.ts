// The contract covers both references, and every operation is fully described.
import { describe, expect, it } from 'vitest';
import { WHO_MAY_CALL } from '../../scripts/generate/contract.js';
import { check } from '../helpers/ajv.js';
import { doc, operations, resolve } from '../helpers/contract.js';
import { parseEventStream } from '../helpers/sse.js';

/**
 * Every operation of the two API references (the products' published APIs, ../shared/seeds/ outside this
 * repository), as `METHOD path`: what this contract must keep serving. Operations of our own, the platform's,
 * are not listed anywhere: whatever the contract has beyond these is one.
 */
const AIARINOVA = [
  'GET /api/spaces',
  'POST /api/spaces',
  'GET /api/spaces/{id}',
  'DELETE /api/spaces/{id}',
  'GET /api/spaces/{id}/sessions',
  'POST /api/spaces/{id}/sessions',
  'POST /api/spaces/{id}/sessions/{session_id}/join',
  'POST /api/spaces/{id}/sessions/{session_id}/leave',
  'GET /api/communities',
  'POST /api/communities',
  'GET /api/communities/{id}',
  'PUT /api/communities/{id}',
  'DELETE /api/communities/{id}',
  'POST /api/communities/{id}/join',
  'POST /api/communities/{id}/leave',
  'GET /api/communities/{id}/members',
  'GET /api/communities/{id}/agents',
  'POST /api/communities/{id}/agents',
  'DELETE /api/communities/{id}/agents/{listing_id}',
  'GET /api/communities/{id}/messages',
  'POST /api/communities/{id}/messages',
  'POST /api/communities/{id}/agent-chat',
  'GET /api/communities/my',
  'GET /api/communities/joined',
  'POST /api/communities/{id}/start-chat',
  'POST /api/communities/{id}/transfer-human',
  'POST /api/communities/{id}/accept-transfer',
  'POST /api/communities/{id}/resolve',
  'POST /api/communities/{id}/invite-cs',
  'POST /api/communities/{id}/verify',
  'GET /api/communities/{id}/cs-status',
  'GET /api/communities/{id}/cs-queue',
  'POST /api/lounge',
  'GET /api/lounge/{id}',
  'POST /api/lounge/{id}/start-chat',
  'GET /api/lounge/{id}/dashboard',
  'GET /api/admin/verification-requests',
  'PUT /api/admin/verification-requests/{id}',
];
const ROOMS = [
  'GET /api/v1/rooms',
  'POST /api/v1/rooms',
  'GET /api/v1/rooms/agent-roles',
  'GET /api/v1/rooms/rules',
  'GET /api/v1/rooms/{room_id}',
  'POST /api/v1/rooms/{room_id}/archive',
  'GET /api/v1/rooms/{room_id}/events',
  'GET /api/v1/rooms/{room_id}/invitations',
  'POST /api/v1/rooms/{room_id}/invitations',
  'POST /api/v1/rooms/{room_id}/invitations/{invitation_id}/accept',
  'GET /api/v1/rooms/{room_id}/invite-candidates',
  'POST /api/v1/rooms/{room_id}/leave',
  'POST /api/v1/rooms/{room_id}/messages',
  'PATCH /api/v1/rooms/{room_id}/messages/{message_id}',
  'DELETE /api/v1/rooms/{room_id}/messages/{message_id}',
  'GET /api/v1/rooms/{room_id}/participants',
  'DELETE /api/v1/rooms/{room_id}/participants/{participant_id}',
  'PATCH /api/v1/rooms/{room_id}/participants/{participant_id}/agent-role',
  'PATCH /api/v1/rooms/{room_id}/rules',
  'GET /api/v1/rooms/{room_id}/runs/{run_id}/tool-events',
  'GET /api/v1/rooms/{room_id}/timeline',
];
const present = new Set(operations.map((o) => `${o.method.toUpperCase()} ${o.path}`));
const SCHEMES = ['sessionCookie', 'vaiTokenCookie', 'bearerAuth', 'apiKeyHeader'];
/** A stream ticket (`?ticket=`) is for browsers' EventSource: accepted by the room stream, and nothing else. */
const TICKET_OPERATIONS = new Set(['streamRoomEvents']);
const tagNames = new Set((doc.tags as Array<{ name: string }>).map((t) => t.name));

describe('coverage of the references', () => {
  it('has all 38 AiArinova and 21 Rooms operations', () => {
    expect(AIARINOVA).toHaveLength(38);
    expect(ROOMS).toHaveLength(21);
    expect([...AIARINOVA, ...ROOMS].filter((op) => !present.has(op))).toEqual([]);
  });
});

describe.each(operations.map((o) => [`${o.method.toUpperCase()} ${o.path}`, o] as const))(
  '%s',
  (_name, { op, path, method }) => {
    it('has a camelCase operationId, a summary, a description and exactly one known tag', () => {
      expect(op.operationId).toMatch(/^[a-z][a-zA-Z0-9]+$/);
      expect(op.summary?.length).toBeGreaterThan(3);
      expect(op.description?.length).toBeGreaterThan(20);
      expect(op.description).toMatch(/\*\*Who may call:\*\*/);
      expect(op.tags).toHaveLength(1);
      expect(tagNames.has(op.tags[0])).toBe(true);
    });

    it('says who may call it in x-who-may-call, agreeing with its security and its path', () => {
      const who = op['x-who-may-call'];
      expect(WHO_MAY_CALL).toContain(who);
      const requirements = op.security as Array<Record<string, string[]>>;
      const required = requirements.length > 0 && requirements.every((r) => Object.keys(r).length > 0);
      expect(required, 'public exactly when anyone may call it').toBe(who !== 'anyone');
      // Roles are not scopes: `admin` is said by x-who-may-call alone (scopes belong to OAuth schemes; Spectral's
      // default ruleset warns on them elsewhere), and the pipeline reads it from there.
      expect(
        requirements.flatMap((r) => Object.values(r).flat()),
        'no scopes on non-OAuth schemes',
      ).toEqual([]);
      if (who.startsWith('room-')) expect(path).toContain('{room_id}');
      if (who === 'community-member') expect(path).toMatch(/^\/api\/communities\/\{id\}\//);
    });

    it('declares its security explicitly, with all four credentials when authenticated', () => {
      expect(Array.isArray(op.security)).toBe(true);
      const requirements = (op.security as Array<Record<string, string[]>>).filter((r) => Object.keys(r).length > 0);
      if (requirements.length > 0) {
        const expected = TICKET_OPERATIONS.has(op.operationId) ? [...SCHEMES, 'streamTicket'] : SCHEMES;
        expect(requirements.flatMap((r) => Object.keys(r)).sort()).toEqual([...expected].sort());
      }
    });

    it('documents its 4xx responses, never `default`, each with a named body schema', () => {
      const statuses = Object.keys(op.responses);
      expect(statuses).not.toContain('default');
      expect(statuses.some((s) => s.startsWith('2'))).toBe(true);
      expect(statuses.some((s) => s.startsWith('4'))).toBe(true);
      // The API's own validation error: 422 FastAPI shape for Rooms, 400 problem+json elsewhere.
      expect(statuses).toContain(path.startsWith('/api/v1/') ? '422' : '400');
      for (const [status, raw] of Object.entries(op.responses)) {
        const response = resolve(raw);
        for (const [type, media] of Object.entries((response.content ?? {}) as Record<string, any>)) {
          expect(media.schema?.$ref ?? media.schema?.oneOf ?? media.schema?.type, `${status} ${type}`).toBeDefined();
          if (status.startsWith('4') && !path.startsWith('/api/v1/')) expect(type).toBe('application/problem+json');
        }
      }
    });

    it('lists 501 NOT_IMPLEMENTED, and narrows every problem response to the codes it can carry', () => {
      expect(
        resolve(op.responses['501'])?.content?.['application/problem+json']?.schema?.properties?.code?.enum,
      ).toEqual(['NOT_IMPLEMENTED']);
      for (const [status, raw] of Object.entries(op.responses)) {
        const problem = resolve(raw).content?.['application/problem+json'];
        if (problem)
          expect(problem.schema.properties?.code?.enum?.length, `${status}: x-problem-codes`).toBeGreaterThan(0);
      }
    });

    it('lists 403 CROSS_SITE_REQUEST when it is a write a cookie can authenticate, or it sets the cookie (src/http/cross-site.ts)', () => {
      if (!['post', 'put', 'patch', 'delete'].includes(method)) return;
      const byCookie = (op.security as Array<Record<string, string[]>>).some(
        (r) => 'sessionCookie' in r || 'vaiTokenCookie' in r,
      );
      const setsCookie = Object.entries(op.responses).some(
        ([status, raw]) => status.startsWith('2') && 'Set-Cookie' in (resolve(raw).headers ?? {}),
      );
      if (!byCookie && !setsCookie) return;
      expect(
        resolve(op.responses['403'])?.content?.['application/problem+json']?.schema?.properties?.code?.enum,
      ).toContain('CROSS_SITE_REQUEST');
    });

    it('names its request body schema and lists 413 when it takes a body', () => {
      if (!op.requestBody) return;
      const body = resolve(op.requestBody);
      for (const media of Object.values(body.content as Record<string, any>))
        expect(media.schema?.$ref).toMatch(/^#\/components\/schemas\//);
      expect(Object.keys(op.responses)).toContain('413');
    });
  },
);

describe('event streams', () => {
  const streams = operations.filter((o) =>
    Object.values(o.op.responses).some((r: any) => resolve(r).content?.['text/event-stream']),
  );
  it('are found (each answers text/event-stream)', () => {
    expect(streams.length).toBeGreaterThan(0);
  });
  it.each(streams.map((s) => [s.op.operationId, s] as const))('%s documents the data of each event', (_id, { op }) => {
    const schema = resolve(resolve(op.responses['200']).content['text/event-stream']['x-item-schema']);
    const variants: any[] = schema.oneOf ? schema.oneOf.map(resolve) : [resolve(schema)];
    for (const variant of variants) expect(variant.properties?.type).toBeDefined();
  });
  // What other tools read (Prism's mock and validating proxy, openapi-fetch, orval): the body is text, and its
  // examples are whole streams, each message's data valid against the item schema, `event:` its type.
  it.each(streams.map((s) => [s.op.operationId, s] as const))(
    '%s is described as SSE text, with whole streams as examples',
    (_id, { op }) => {
      const media = resolve(op.responses['200']).content['text/event-stream'];
      expect(resolve(media.schema)).toMatchObject({ type: 'string' });
      const examples: string[] =
        'example' in media
          ? [media.example]
          : Object.values(media.examples as Record<string, { value: string }>).map((e) => e.value);
      expect(examples.length).toBeGreaterThan(0);
      for (const text of examples) {
        expect(text).toMatch(/\n\n$/); // the last message ends like every other, so a parser dispatches it
        const events = parseEventStream(text);
        expect(events.length).toBeGreaterThan(0);
        for (const event of events) {
          expect(check(media['x-item-schema'], event.data)).toBe('');
          expect(event.event).toBe(event.data.type);
          if (event.id !== undefined) expect(event.id).toBe(String(event.data.seq));
        }
      }
    },
  );
});
