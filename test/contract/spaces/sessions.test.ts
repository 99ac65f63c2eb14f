// AiArinova Spaces: a space's sessions: create, list, join (as a person or an owned agent), leave.
import { describe, expect, it } from 'vitest';
import {
  createAgentListing,
  createSpace,
  createSpaceSession,
  getSpace,
  joinSpaceSession,
  leaveSpaceSession,
  listSpaceSessions,
  type SpaceRow,
} from '@platform/client';
import { useTestServer } from '../../helpers/server.js';
import { fieldsOf } from '../../helpers/problems.js';
import { newUser, type TestUser } from '../../helpers/users.js';

const server = useTestServer();
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

async function space(
  owner: TestUser,
  body: Partial<Parameters<typeof createSpace>[0]['body']> = {},
): Promise<SpaceRow> {
  const { data, error } = await createSpace({ body: { name: 'Arena', ...body }, ...owner.as });
  if (!data) throw new Error(JSON.stringify(error));
  return data;
}

describe('sessions', () => {
  it('creates a session with the creator joined (201) and lists sessions with connected counts (200)', async () => {
    const alice = await newUser('Alice');
    const s = await space(alice);
    const { data, response } = await createSpaceSession({ path: { id: s.id }, ...alice.as });
    expect(response?.status).toBe(201);
    expect(data).toMatchObject({
      playgroundId: s.id,
      status: 'waiting',
      participantCount: 1,
      createdBy: alice.user.id,
    });
    const list = await listSpaceSessions({ path: { id: s.id }, ...alice.as });
    expect(list.response?.status).toBe(200);
    expect(list.data).toEqual({ sessions: [data], total: 1, page: 1, totalPages: 1 });
  });

  it('refuses unknown or hidden spaces (404), anonymous callers (401) and bad ids (400)', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const secret = await space(alice, { isPublic: false });
    for (const call of [createSpaceSession, listSpaceSessions]) {
      expect((await call({ path: { id: secret.id }, ...bob.as })).response?.status).toBe(404);
      expect((await call({ path: { id: UNKNOWN }, ...alice.as })).response?.status).toBe(404);
      expect((await call({ path: { id: secret.id } })).response?.status).toBe(401);
      expect((await call({ path: { id: '123' }, ...alice.as })).response?.status).toBe(400);
    }
  });

  it('joins (201), reconnects (200), activates with two connected, ends when the last one leaves (204)', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const s = await space(alice);
    const session = (await createSpaceSession({ path: { id: s.id }, ...alice.as })).data!;
    const path = { id: s.id, session_id: session.id };

    const joined = await joinSpaceSession({ path, body: { role: 'spectator' }, ...bob.as });
    expect(joined.response?.status).toBe(201);
    expect(joined.data).toMatchObject({
      sessionId: session.id,
      userId: bob.user.id,
      agentId: null,
      role: 'spectator',
      controlMode: 'human',
      isConnected: true,
    });
    const status = async () => (await listSpaceSessions({ path: { id: s.id }, ...alice.as })).data!.sessions[0]!;
    expect(await status()).toMatchObject({ status: 'active', participantCount: 2 });

    expect((await leaveSpaceSession({ path, ...bob.as })).response?.status).toBe(204);
    expect(await status()).toMatchObject({ status: 'active', participantCount: 1 });
    const again = await joinSpaceSession({ path, ...bob.as });
    expect(again.response?.status).toBe(200);
    expect(again.data).toMatchObject({
      id: joined.data!.id,
      isConnected: true,
      role: 'spectator',
      joinedAt: joined.data!.joinedAt,
    });
    // The creator joined automatically, as the host: joining again reconnects that participant.
    const host = await joinSpaceSession({ path, ...alice.as });
    expect(host.response?.status).toBe(200);
    expect(host.data).toMatchObject({
      userId: alice.user.id,
      agentId: null,
      role: 'host',
      controlMode: 'human',
      isConnected: true,
    });

    expect((await leaveSpaceSession({ path, ...bob.as })).response?.status).toBe(204);
    expect((await leaveSpaceSession({ path, ...bob.as })).response?.status).toBe(204); // idempotent
    expect((await leaveSpaceSession({ path, ...alice.as })).response?.status).toBe(204);
    expect(await status()).toMatchObject({ status: 'ended', participantCount: 0 });

    const late = await joinSpaceSession({ path, ...bob.as });
    expect(late.response?.status).toBe(409);
    expect(late.error).toMatchObject({ code: 'SESSION_ENDED' });
  });

  it("joins as an agent the caller owns; someone else's agent is 403, an unknown one 404", async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const s = await space(alice);
    const session = (await createSpaceSession({ path: { id: s.id }, ...alice.as })).data!;
    const path = { id: s.id, session_id: session.id };
    const listing = async (owner: TestUser, isPublic = true) =>
      (
        await createAgentListing({
          body: { name: 'Helper bot', model: 'gpt-4o', isPublic },
          ...owner.as,
          throwOnError: true,
        })
      ).data.id;
    const bobsAgent = await listing(bob);
    const alicesAgent = await listing(alice);
    const alicesPrivate = await listing(alice, false);

    const asAgent = await joinSpaceSession({ path, body: { agentId: bobsAgent, controlMode: 'agent' }, ...bob.as });
    expect(asAgent.response?.status).toBe(201);
    expect(asAgent.data).toMatchObject({ agentId: bobsAgent, controlMode: 'agent', userId: bob.user.id });
    expect((await joinSpaceSession({ path, ...bob.as })).response?.status).toBe(201); // in person: another participant

    const notMine = await joinSpaceSession({ path, body: { agentId: alicesAgent }, ...bob.as });
    expect(notMine.response?.status).toBe(403);
    expect(notMine.error).toMatchObject({ code: 'NOT_AGENT_OWNER' });
    for (const agentId of [UNKNOWN, alicesPrivate]) {
      const missing = await joinSpaceSession({ path, body: { agentId }, ...bob.as });
      expect(missing.response?.status).toBe(404);
      expect(missing.error).toMatchObject({ code: 'AGENT_LISTING_NOT_FOUND' });
    }
    const noAgent = await joinSpaceSession({ path, body: { controlMode: 'shared' }, ...bob.as });
    expect(noAgent.response?.status).toBe(400);
    expect(fieldsOf(noAgent.error)).toEqual(['body:controlMode']);

    expect((await leaveSpaceSession({ path, body: { agentId: bobsAgent }, ...bob.as })).response?.status).toBe(204);
    const { sessions } = (await listSpaceSessions({ path: { id: s.id }, ...alice.as })).data!;
    expect(sessions[0]!.participantCount).toBe(2);
  });

  it('validates join and leave input (400, 413) and refuses the wrong caller (401, 404)', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const s = await space(alice);
    const other = await space(alice);
    const session = (await createSpaceSession({ path: { id: s.id }, ...alice.as })).data!;
    const path = { id: s.id, session_id: session.id };

    const badRole = await joinSpaceSession({ path, body: { role: 'host' } as never, ...bob.as });
    expect(badRole.response?.status).toBe(400);
    expect(fieldsOf(badRole.error)).toEqual(['body:role']);
    expect(fieldsOf((await joinSpaceSession({ path: { ...path, session_id: 'nope' }, ...bob.as })).error)).toEqual([
      'path:session_id',
    ]);
    expect(
      (await joinSpaceSession({ path, body: { agentId: 'x'.repeat(1_100_000) }, ...bob.as })).response?.status,
    ).toBe(413);
    expect(
      (await leaveSpaceSession({ path, body: { agentId: 'x'.repeat(1_100_000) }, ...bob.as })).response?.status,
    ).toBe(413);
    expect(fieldsOf((await leaveSpaceSession({ path, body: { agentId: 'bot' }, ...bob.as })).error)).toEqual([
      'body:agentId',
    ]);

    expect((await joinSpaceSession({ path })).response?.status).toBe(401);
    expect((await leaveSpaceSession({ path })).response?.status).toBe(401);
    // A session that is not in this space is not found, whatever its id.
    expect(
      (await joinSpaceSession({ path: { id: other.id, session_id: session.id }, ...bob.as })).response?.status,
    ).toBe(404);
    const notJoined = await leaveSpaceSession({ path, ...bob.as });
    expect(notJoined.response?.status).toBe(404);
    expect(notJoined.error).toMatchObject({ code: 'NOT_PARTICIPANT' });
  });

  it('moves updatedAt whenever the status or the participants change', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const carol = await newUser('Carol');
    const s = await space(alice);
    const session = (await createSpaceSession({ path: { id: s.id }, ...alice.as })).data!;
    expect(session.updatedAt).toBe(session.createdAt);
    const path = { id: s.id, session_id: session.id };
    const current = async () => (await listSpaceSessions({ path: { id: s.id }, ...alice.as })).data!.sessions[0]!;
    let last = session.updatedAt;
    const expectMoved = async (status: string) => {
      const now = await current();
      expect(now.status).toBe(status);
      expect(Date.parse(now.updatedAt)).toBeGreaterThan(Date.parse(last));
      last = now.updatedAt;
    };
    const tick = () => new Promise((resolve) => setTimeout(resolve, 5));
    await tick();
    await joinSpaceSession({ path, ...bob.as }); // waiting -> active
    await expectMoved('active');
    await tick();
    await joinSpaceSession({ path, ...carol.as }); // a new participant, status unchanged
    await expectMoved('active');
    await tick();
    await leaveSpaceSession({ path, ...carol.as }); // a participant disconnects
    await expectMoved('active');
    await tick();
    await joinSpaceSession({ path, ...carol.as }); // and reconnects
    await expectMoved('active');
    expect((await current()).createdAt).toBe(session.createdAt);
  });

  it('handles many simultaneous joins: one participant per caller, counts exact, one 201 per identity', async () => {
    const alice = await newUser('Alice');
    const s = await space(alice);
    const session = (await createSpaceSession({ path: { id: s.id }, ...alice.as })).data!;
    const path = { id: s.id, session_id: session.id };
    const users = await Promise.all(Array.from({ length: 12 }, (_, i) => newUser(`Player ${i}`)));
    const joins = await Promise.all(
      users.flatMap((u) => [joinSpaceSession({ path, ...u.as }), joinSpaceSession({ path, ...u.as })]),
    );
    const statuses = joins.map((j) => j.response?.status).sort();
    expect(statuses.filter((st) => st === 201)).toHaveLength(12);
    expect(statuses.filter((st) => st === 200)).toHaveLength(12);
    const [listed] = (await listSpaceSessions({ path: { id: s.id }, ...alice.as })).data!.sessions;
    expect(listed).toMatchObject({ participantCount: 13, status: 'active' });

    await Promise.all([alice, ...users].map((u) => leaveSpaceSession({ path, ...u.as })));
    const [after] = (await listSpaceSessions({ path: { id: s.id }, ...alice.as })).data!.sessions;
    expect(after).toMatchObject({ participantCount: 0, status: 'ended' });
  });
});

describe('listSpaceSessions pages', () => {
  const knex = () => server.platform.database.knex;
  /** `n` sessions of the space by SQL, all created at `at` (or a second apart, newest last, without it). */
  async function bulk(spaceId: string, createdBy: string, n: number, at?: string): Promise<string[]> {
    const rows = await knex().raw(
      `insert into space_sessions (space_id, created_by, status, created_at, updated_at)
       select ?, ?, 'ended', t, t from (select coalesce(?::timestamptz, '2025-03-14T10:00:00Z'::timestamptz + i * interval '1 second') as t
       from generate_series(1, ?) as i) g returning id`,
      [spaceId, createdBy, at ?? null, n],
    );
    return (rows.rows as Array<{ id: string }>).map((r) => r.id);
  }
  const ids = (sessions: Array<{ id: string }>) => sessions.map((x) => x.id);

  it('reads a page, the next and past the last, newest first, with exact totals', async () => {
    const alice = await newUser('Alice');
    const s = await space(alice);
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await createSpaceSession({ path: { id: s.id }, ...alice.as })).data!.id);
    const page = async (page: number) =>
      (await listSpaceSessions({ path: { id: s.id }, query: { page, limit: 2 }, ...alice.as })).data!;
    const first = await page(1);
    expect(first).toMatchObject({ total: 5, page: 1, totalPages: 3 });
    expect(ids(first.sessions)).toEqual([made[4], made[3]]);
    expect(ids((await page(2)).sessions)).toEqual([made[2], made[1]]);
    expect(ids((await page(3)).sessions)).toEqual([made[0]]);
    expect(await page(4)).toEqual({ sessions: [], total: 5, page: 4, totalPages: 3 });
    const empty = await space(alice);
    expect((await listSpaceSessions({ path: { id: empty.id }, ...alice.as })).data).toEqual({
      sessions: [],
      total: 0,
      page: 1,
      totalPages: 0,
    });
  });

  it('breaks ties on createdAt by id, descending: pages neither repeat nor skip a session', async () => {
    const alice = await newUser('Alice');
    const s = await space(alice);
    const tied = await bulk(s.id, alice.user.id, 7, '2025-03-14T10:00:00Z');
    const read: string[] = [];
    for (let page = 1; page <= 3; page++)
      read.push(
        ...ids(
          (await listSpaceSessions({ path: { id: s.id }, query: { page, limit: 3 }, ...alice.as })).data!.sessions,
        ),
      );
    expect(read).toEqual([...tied].sort().reverse());
  });

  it('refuses a limit above 50, a limit of 0 and a page of 0 (400 naming them); 50 is a page', async () => {
    const alice = await newUser('Alice');
    const s = await space(alice);
    await bulk(s.id, alice.user.id, 51);
    for (const [query, field] of [
      [{ limit: 51 }, 'query:limit'],
      [{ limit: 0 }, 'query:limit'],
      [{ page: 0 }, 'query:page'],
    ] as const) {
      const { response, error } = await listSpaceSessions({ path: { id: s.id }, query, ...alice.as });
      expect(response?.status).toBe(400);
      expect(fieldsOf(error)).toEqual([field]);
    }
    const max = (await listSpaceSessions({ path: { id: s.id }, query: { limit: 50 }, ...alice.as })).data!;
    expect(max).toMatchObject({ total: 51, totalPages: 2 });
    expect(max.sessions).toHaveLength(50);
  });

  it('getSpace embeds the 20 newest sessions and counts them all', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const s = await space(alice);
    const made = await bulk(s.id, alice.user.id, 23);
    const { data } = await getSpace({ path: { id: s.id }, ...bob.as });
    expect(data!.sessionCount).toBe(23);
    expect(ids(data!.sessions)).toEqual(made.slice(3).reverse());
    expect(
      ids((await listSpaceSessions({ path: { id: s.id }, query: { page: 2 }, ...bob.as })).data!.sessions),
    ).toEqual(made.slice(0, 3).reverse());
  });
});
