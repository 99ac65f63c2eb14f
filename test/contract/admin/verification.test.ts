// Business verification: the creator's request (one pending at a time), the admin's final review, and the
// community's verified badge changing only by approval, in the review's transaction.
import { describe, expect, it } from 'vitest';
import {
  createCommunity,
  getCommunity,
  listVerificationRequests,
  requestVerification,
  reviewVerificationRequest,
  updateCommunity,
} from '@platform/client';
import { useTestServer } from '../../helpers/server.js';
import { fieldsOf } from '../../helpers/problems.js';
import { newAdmin, newUser, type TestUser } from '../../helpers/users.js';

const server = useTestServer();
const knex = () => server.platform.database.knex;
const UNKNOWN = '00000000-0000-4000-8000-000000000000';
let adminUser: Promise<TestUser> | undefined;
const admin = () => (adminUser ??= newAdmin());

const officialOf = async (creator: TestUser) =>
  (await createCommunity({ body: { name: 'Acme Official', type: 'official' }, ...creator.as })).data!.id;

describe('requestVerification', () => {
  it('records a request (201) that admins list, newest first, with the community name', async () => {
    const creator = await newUser('Creator');
    const id = await officialOf(creator);
    const { data, response } = await requestVerification({
      path: { id },
      body: {
        businessName: 'Acme Inc',
        businessRegistration: '12345',
        documentsUrl: 'https://docs.example.net/acme.pdf',
      },
      ...creator.as,
    });
    expect(response?.status).toBe(201);
    const listed = (await listVerificationRequests((await admin()).as)).data!.requests;
    expect(listed[0]).toMatchObject({
      id: data!.requestId,
      communityId: id,
      requesterId: creator.user.id,
      businessName: 'Acme Inc',
      status: 'pending',
      reviewerNotes: null,
      reviewedAt: null,
      communityName: 'Acme Official',
    });
    expect(
      (await listVerificationRequests({ query: { status: 'approved' }, ...(await admin()).as })).data!.requests.map(
        (r) => r.id,
      ),
    ).not.toContain(data!.requestId);
  });

  it('allows one pending request: a second, or the loser of two at once, gets 409 VERIFICATION_PENDING', async () => {
    const creator = await newUser('Creator');
    const id = await officialOf(creator);
    const results = await Promise.all([
      requestVerification({ path: { id }, body: {}, ...creator.as }),
      requestVerification({ path: { id }, body: {}, ...creator.as }),
    ]);
    expect(results.map((r) => r.response?.status).sort()).toEqual([201, 409]);
    expect(results.find((r) => r.response?.status === 409)!.error).toMatchObject({ code: 'VERIFICATION_PENDING' });
    // While pending, the type cannot change.
    expect((await updateCommunity({ path: { id }, body: { type: 'club' }, ...creator.as })).error).toMatchObject({
      code: 'TYPE_CHANGE_NOT_ALLOWED',
    });
  });

  it('refuses non-creators (403), clubs (409 NOT_OFFICIAL), bad input (400, 413), anonymous (401), unknown (404)', async () => {
    const creator = await newUser('Creator');
    const id = await officialOf(creator);
    const other = await newUser('Other');
    expect((await requestVerification({ path: { id }, body: {}, ...other.as })).error).toMatchObject({
      code: 'NOT_CREATOR',
    });
    expect(
      (await requestVerification({ path: { id }, body: { documentsUrl: 'not a url' }, ...creator.as })).response
        ?.status,
    ).toBe(400);
    expect(
      (await requestVerification({ path: { id }, body: { businessName: 'x'.repeat(1_100_000) }, ...creator.as }))
        .response?.status,
    ).toBe(413);
    expect((await requestVerification({ path: { id }, body: {} })).response?.status).toBe(401);
    expect((await requestVerification({ path: { id: UNKNOWN }, body: {}, ...creator.as })).response?.status).toBe(404);
    const club = (await createCommunity({ body: { name: 'Club' }, ...creator.as })).data!.id;
    expect((await requestVerification({ path: { id: club }, body: {}, ...creator.as })).error).toMatchObject({
      code: 'NOT_OFFICIAL',
    });
  });
});

describe('reviewVerificationRequest', () => {
  it('approves (200): the community becomes verified; a second review is 409 ALREADY_REVIEWED; verified ones cannot ask again', async () => {
    const creator = await newUser('Creator');
    const id = await officialOf(creator);
    const requestId = (await requestVerification({ path: { id }, body: {}, ...creator.as })).data!.requestId;
    expect((await getCommunity({ path: { id } })).data!.isVerified).toBe(false);
    const reviewed = await reviewVerificationRequest({
      path: { id: requestId },
      body: { status: 'approved', reviewerNotes: 'Registry checked' },
      ...(await admin()).as,
    });
    expect(reviewed.data).toEqual({ success: true });
    expect((await getCommunity({ path: { id } })).data!.isVerified).toBe(true);
    const [request] = (
      await listVerificationRequests({ query: { status: 'approved' }, ...(await admin()).as })
    ).data!.requests.filter((r) => r.id === requestId);
    expect(request).toMatchObject({ status: 'approved', reviewerNotes: 'Registry checked' });
    expect(request!.reviewedAt).not.toBeNull();
    expect(
      (
        await reviewVerificationRequest({
          path: { id: requestId },
          body: { status: 'approved' },
          ...(
            await admin()
          ).as,
        })
      ).error,
    ).toMatchObject({ code: 'ALREADY_REVIEWED' });
    expect((await requestVerification({ path: { id }, body: {}, ...creator.as })).error).toMatchObject({
      code: 'ALREADY_VERIFIED',
    });
  });

  it('rejects without verifying; of two concurrent reviews one wins, the other gets 409', async () => {
    const creator = await newUser('Creator');
    const id = await officialOf(creator);
    const requestId = (await requestVerification({ path: { id }, body: {}, ...creator.as })).data!.requestId;
    // Nothing given: the business fields are null.
    const [pending] = (
      await listVerificationRequests({ query: { status: 'pending' }, ...(await admin()).as })
    ).data!.requests.filter((r) => r.id === requestId);
    expect(pending).toMatchObject({
      businessName: null,
      businessRegistration: null,
      documentsUrl: null,
      reviewerNotes: null,
      reviewedAt: null,
    });
    const results = await Promise.all([
      reviewVerificationRequest({ path: { id: requestId }, body: { status: 'rejected' }, ...(await admin()).as }),
      reviewVerificationRequest({ path: { id: requestId }, body: { status: 'approved' }, ...(await admin()).as }),
    ]);
    expect(results.map((r) => r.response?.status).sort()).toEqual([200, 409]);
    const won = results[0]!.response?.status === 200 ? 'rejected' : 'approved';
    expect((await getCommunity({ path: { id } })).data!.isVerified).toBe(won === 'approved');
    const [reviewed] = (
      await listVerificationRequests({ query: { status: won }, ...(await admin()).as })
    ).data!.requests.filter((r) => r.id === requestId);
    expect(reviewed).toMatchObject({ status: won, reviewerNotes: null }); // notes left out: stored as null
    expect(reviewed!.reviewedAt).not.toBeNull();
    if (won === 'rejected')
      expect((await requestVerification({ path: { id }, body: {}, ...creator.as })).response?.status).toBe(201);
  });

  it('is for admins only (403 ADMIN_REQUIRED, 401), 404 unknown, 400 bad input, 413 huge', async () => {
    const user = await newUser('User');
    expect((await listVerificationRequests(user.as)).error).toMatchObject({ code: 'ADMIN_REQUIRED' });
    expect((await listVerificationRequests({})).response?.status).toBe(401);
    expect(
      (await listVerificationRequests({ query: { status: 'lost' } as never, ...(await admin()).as })).response?.status,
    ).toBe(400);
    expect(
      (await reviewVerificationRequest({ path: { id: UNKNOWN }, body: { status: 'approved' }, ...user.as })).response
        ?.status,
    ).toBe(403);
    expect(
      (await reviewVerificationRequest({ path: { id: UNKNOWN }, body: { status: 'approved' } })).response?.status,
    ).toBe(401);
    expect(
      (await reviewVerificationRequest({ path: { id: UNKNOWN }, body: { status: 'approved' }, ...(await admin()).as }))
        .response?.status,
    ).toBe(404);
    expect(
      (
        await reviewVerificationRequest({
          path: { id: UNKNOWN },
          body: { status: 'maybe' } as never,
          ...(
            await admin()
          ).as,
        })
      ).response?.status,
    ).toBe(400);
    expect(
      (
        await reviewVerificationRequest({
          path: { id: UNKNOWN },
          body: { status: 'approved', reviewerNotes: 'x'.repeat(1_100_000) },
          ...(
            await admin()
          ).as,
        })
      ).response?.status,
    ).toBe(413);
  });
});

describe('listVerificationRequests pages', () => {
  /** Rejected requests of one new official community by SQL, created at the given instants; their ids in order. */
  async function bulk(times: string[]): Promise<string[]> {
    const creator = await newUser('Creator');
    const communityId = await officialOf(creator);
    const rows = await knex()('verification_requests')
      .insert(
        times.map((createdAt) => ({
          communityId,
          requesterId: creator.user.id,
          status: 'rejected',
          createdAt,
          reviewedAt: createdAt,
        })),
      )
      .returning('id');
    return (rows as Array<{ id: string }>).map((r) => r.id);
  }
  const count = async (status?: string) =>
    Number(
      (
        await knex()('verification_requests')
          .modify((q) => {
            if (status) q.where('status', status);
          })
          .count({ n: '*' })
      )[0]!.n,
    );

  it('reads a page and the next, newest first, requests created at the same instant by id, with exact totals', async () => {
    const newest = await bulk(['2100-01-01T00:00:03Z', '2100-01-01T00:00:02Z', '2100-01-01T00:00:01Z']);
    const tied = await bulk(Array.from({ length: 7 }, () => '2100-01-01T00:00:00Z'));
    const as = (await admin()).as;
    const read: string[] = [];
    for (let page = 1; page <= 4; page++) {
      const { data } = await listVerificationRequests({ query: { page, limit: 3 }, ...as });
      const total = await count();
      expect(data).toMatchObject({ total, page, totalPages: Math.ceil(total / 3) });
      read.push(...data!.requests.map((r) => r.id));
    }
    expect(read.slice(0, 10)).toEqual([...newest, ...[...tied].sort().reverse()]);
    const rejected = (await listVerificationRequests({ query: { status: 'rejected', limit: 2 }, ...as })).data!;
    expect(rejected).toMatchObject({ total: await count('rejected'), page: 1 });
    expect(rejected.requests.map((r) => r.id)).toEqual(newest.slice(0, 2));
    const past = (await listVerificationRequests({ query: { status: 'rejected', page: 1000 }, ...as })).data!;
    expect(past).toMatchObject({ requests: [], page: 1000, total: await count('rejected') });
  });

  it('serves 50 at most: a larger limit, a limit of 0 and page 0 are 400 naming them', async () => {
    await bulk(Array.from({ length: 51 }, (_, n) => new Date(Date.UTC(2099, 0, 1, 0, 0, n)).toISOString()));
    const as = (await admin()).as;
    expect((await listVerificationRequests({ query: { limit: 50 }, ...as })).data!.requests).toHaveLength(50);
    expect((await listVerificationRequests(as)).data!.requests).toHaveLength(20); // the default page
    for (const [query, field] of [
      [{ limit: 51 }, 'query:limit'],
      [{ limit: 0 }, 'query:limit'],
      [{ page: 0 }, 'query:page'],
    ] as const) {
      const { response, error } = await listVerificationRequests({ query, ...as });
      expect(response?.status).toBe(400);
      expect(fieldsOf(error)).toEqual([field]);
    }
  });
});
