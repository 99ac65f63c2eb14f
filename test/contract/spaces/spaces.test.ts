// AiArinova Spaces: browse, create, details, delete.
import { describe, expect, it } from 'vitest';
import {
  createSpace,
  createSpaceSession,
  deleteSpace,
  getSpace,
  joinSpaceSession,
  leaveSpaceSession,
  listSpaceSessions,
  listSpaces,
  type SpaceRow,
} from '@platform/client';
import { useTestServer } from '../../helpers/server.js';
import { fieldsOf } from '../../helpers/problems.js';
import { newUser, type TestUser } from '../../helpers/users.js';

useTestServer();
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

async function space(
  owner: TestUser,
  body: Partial<Parameters<typeof createSpace>[0]['body']> = {},
): Promise<SpaceRow> {
  const { data, error } = await createSpace({ body: { name: 'Arena', ...body }, ...owner.as });
  if (!data) throw new Error(JSON.stringify(error));
  return data;
}

describe('createSpace', () => {
  it("creates a space with the reference's fields and defaults (201)", async () => {
    const alice = await newUser('Alice');
    const { data, response } = await createSpace({
      body: {
        name: 'My Space',
        description: '...',
        category: 'gaming',
        tags: ['fun', 'multiplayer'],
        definition: { iframeUrl: 'https://play.example.net/embed', seats: 4 },
      },
      ...alice.as,
    });
    expect(response?.status).toBe(201);
    expect(data).toMatchObject({
      ownerId: alice.user.id,
      name: 'My Space',
      description: '...',
      category: 'gaming',
      tags: ['fun', 'multiplayer'],
      definition: { iframeUrl: 'https://play.example.net/embed', seats: 4 },
      isPublic: true,
    });
    const minimal = await createSpace({ body: { name: 'Bare' }, ...alice.as });
    expect(minimal.data).toMatchObject({ description: null, category: null, tags: [], definition: {}, isPublic: true });
  });

  it.each([
    ['a missing name', {}, 'body:name'],
    ['a name of the wrong type', { name: 42 }, 'body:name'],
    ['a name of only spaces', { name: '   ' }, 'body:name'],
    ['an over-long name', { name: 'x'.repeat(101) }, 'body:name'],
    ['an over-long description', { name: 'S', description: 'x'.repeat(2001) }, 'body:description'],
    ['too many tags', { name: 'S', tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, 'body:tags'],
    ['duplicate tags', { name: 'S', tags: ['a', 'a'] }, 'body:tags'],
    [
      'an http iframeUrl',
      { name: 'S', definition: { iframeUrl: 'http://play.example.net/embed' } },
      'body:definition.iframeUrl',
    ],
    [
      'an iframeUrl that is not a URL',
      { name: 'S', definition: { iframeUrl: 'https:nope' } },
      'body:definition.iframeUrl',
    ],
    ['an unknown field', { name: 'S', owner: 'me' }, 'body:owner'],
    ['isPublic of the wrong type', { name: 'S', isPublic: 'yes' }, 'body:isPublic'],
  ])('rejects %s with 400 naming the field, and writes nothing', async (_what, body, field) => {
    const alice = await newUser('Alice');
    const { error, response } = await createSpace({ body: body as never, ...alice.as });
    expect(response?.status).toBe(400);
    expect(error).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(fieldsOf(error)).toContain(field);
    const mine = await listSpaces({ query: { search: 'S' } });
    expect(mine.data!.spaces.filter((s) => s.ownerId === alice.user.id)).toEqual([]);
  });

  it('requires a signed-in caller (401) and a body under 1 MB (413)', async () => {
    expect((await createSpace({ body: { name: 'Anon' } })).response?.status).toBe(401);
    const alice = await newUser('Alice');
    expect(
      (await createSpace({ body: { name: 'Big', description: 'x'.repeat(1_100_000) }, ...alice.as })).response?.status,
    ).toBe(413);
  });
});

describe('listSpaces', () => {
  it('browses public spaces newest first, with an exact total, search and category (200)', async () => {
    const owner = await newUser('Owner');
    const tag = `zq${Date.now().toString(36)}`;
    const made: SpaceRow[] = [];
    for (let i = 0; i < 5; i++)
      made.push(await space(owner, { name: `${tag} Room ${i}`, category: i % 2 ? `${tag}-odd` : `${tag}-even` }));
    await space(owner, { name: `${tag} Hidden`, isPublic: false });

    const page1 = await listSpaces({ query: { search: tag.toUpperCase(), limit: 2 } });
    expect(page1.response?.status).toBe(200);
    expect(page1.data).toMatchObject({ total: 5, page: 1, totalPages: 3 });
    expect(page1.data!.spaces.map((s) => s.name)).toEqual([`${tag} Room 4`, `${tag} Room 3`]);
    const page3 = await listSpaces({ query: { search: tag, limit: 2, page: 3 } });
    expect(page3.data!.spaces.map((s) => s.name)).toEqual([`${tag} Room 0`]);
    const past = await listSpaces({ query: { search: tag, limit: 2, page: 4 } });
    expect(past.data).toMatchObject({ spaces: [], total: 5, totalPages: 3 });

    const odd = await listSpaces({ query: { category: `${tag}-odd` } });
    expect(odd.data).toMatchObject({ total: 2, totalPages: 1 });
    expect(odd.data!.spaces.every((s) => s.category === `${tag}-odd`)).toBe(true);
    // A first page without a search is its own statement (read up to a page size, cut to the limit): the same
    // page as the offset statement's pages continue from.
    const even = async (page: number) =>
      (await listSpaces({ query: { category: `${tag}-even`, limit: 1, page } })).data!;
    expect((await even(1)).spaces.map((s) => s.name)).toEqual([`${tag} Room 4`]);
    expect(await even(1)).toMatchObject({ total: 3, page: 1, totalPages: 3 });
    expect((await even(2)).spaces.map((s) => s.name)).toEqual([`${tag} Room 2`]);
    expect((await listSpaces({ query: { search: `${tag} Hidden` } })).data).toMatchObject({
      spaces: [],
      total: 0,
      page: 1,
      totalPages: 0,
    });
    expect(past.data!.page).toBe(4);
  });

  it('keeps the total exact as spaces are created, hidden and deleted', async () => {
    const owner = await newUser('Owner');
    const category = `count-${Date.now()}`;
    const total = async () => (await listSpaces({ query: { category } })).data!.total;
    const a = await space(owner, { category });
    await space(owner, { category });
    await space(owner, { category, isPublic: false });
    expect(await total()).toBe(2);
    await deleteSpace({ path: { id: a.id }, ...owner.as });
    expect(await total()).toBe(1);
    const all = (await listSpaces()).data!;
    const counted = (await listSpaces({ query: { limit: 50 } })).data!;
    expect(counted.total).toBe(all.total);
  });

  it('treats % and _ in a search as text, not wildcards', async () => {
    const owner = await newUser('Owner');
    await space(owner, { name: '100% fun_zone' });
    expect((await listSpaces({ query: { search: '100% fun_' } })).data!.total).toBe(1);
    expect((await listSpaces({ query: { search: '%_%' } })).data!.total).toBe(0);
  });

  it.each([
    ['limit above 50', { limit: 51 }, 'query:limit'],
    ['limit 0', { limit: 0 }, 'query:limit'],
    ['page 0', { page: 0 }, 'query:page'],
    ['a non-numeric page', { page: 'two' }, 'query:page'],
    ['an unknown parameter', { sort: 'name' }, 'query:sort'],
  ])('rejects %s with 400 naming it', async (_what, query, field) => {
    const { error, response } = await listSpaces({ query: query as never });
    expect(response?.status).toBe(400);
    expect(fieldsOf(error)).toContain(field);
  });
});

describe('getSpace', () => {
  it('returns the space with its owner and sessions, newest first (200)', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const s = await space(alice);
    const first = (await createSpaceSession({ path: { id: s.id }, ...alice.as })).data!;
    const second = (await createSpaceSession({ path: { id: s.id }, ...alice.as })).data!;
    await leaveSpaceSession({ path: { id: s.id, session_id: first.id }, ...alice.as }); // the first one ends
    const { data, response } = await getSpace({ path: { id: s.id }, ...bob.as });
    expect(response?.status).toBe(200);
    expect(data!.owner).toEqual({ id: alice.user.id, name: 'Alice', image: null });
    expect(data!.sessions.map((x) => [x.id, x.status])).toEqual([
      [second.id, 'waiting'],
      [first.id, 'ended'],
    ]); // ended ones included
    expect(data!.sessions).toEqual((await listSpaceSessions({ path: { id: s.id }, ...bob.as })).data!.sessions);
    expect(data!.sessionCount).toBe(2);
  });

  it('hides private spaces from everyone but the owner (404, like an unknown id)', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const secret = await space(alice, { isPublic: false });
    expect((await getSpace({ path: { id: secret.id }, ...alice.as })).response?.status).toBe(200);
    const hidden = await getSpace({ path: { id: secret.id }, ...bob.as });
    const unknown = await getSpace({ path: { id: UNKNOWN }, ...bob.as });
    expect(hidden.response?.status).toBe(404);
    expect(unknown.response?.status).toBe(404);
    expect(hidden.error).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('answers 401 without credentials and 400 for a bad uuid (also urn:uuid)', async () => {
    const alice = await newUser('Alice');
    const s = await space(alice);
    expect((await getSpace({ path: { id: s.id } })).response?.status).toBe(401);
    for (const id of ['not-a-uuid', `urn:uuid:${s.id}`]) {
      const { error, response } = await getSpace({ path: { id }, ...alice.as });
      expect(response?.status).toBe(400);
      expect(fieldsOf(error)).toEqual(['path:id']);
    }
  });
});

describe('deleteSpace', () => {
  it('lets only the owner delete (204); others get 403, private or unknown 404, anonymous 401', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const s = await space(alice);
    const secret = await space(alice, { isPublic: false });
    const session = (await createSpaceSession({ path: { id: s.id }, ...alice.as })).data!;

    const denied = await deleteSpace({ path: { id: s.id }, ...bob.as });
    expect(denied.response?.status).toBe(403);
    expect(denied.error).toMatchObject({ code: 'NOT_SPACE_OWNER' });
    expect((await deleteSpace({ path: { id: secret.id }, ...bob.as })).response?.status).toBe(404);
    expect((await deleteSpace({ path: { id: s.id } })).response?.status).toBe(401);
    expect((await deleteSpace({ path: { id: 'x' }, ...alice.as })).response?.status).toBe(400);

    expect((await deleteSpace({ path: { id: s.id }, ...alice.as })).response?.status).toBe(204);
    expect((await getSpace({ path: { id: s.id }, ...alice.as })).response?.status).toBe(404);
    expect((await deleteSpace({ path: { id: s.id }, ...alice.as })).response?.status).toBe(404);
    expect((await joinSpaceSession({ path: { id: s.id, session_id: session.id }, ...bob.as })).response?.status).toBe(
      404,
    );
  });
});
