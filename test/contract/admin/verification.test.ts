// Business verification: the creator's request (one pending at a time), the admin's final review, and the
// community's verified badge changing only by approval, in the review's transaction.
import { describe, expect, it } from 'vitest';
import {
  createCommunity, getCommunity, listVerificationRequests, requestVerification, reviewVerificationRequest, updateCommunity,
} from '@platform/client';
import { useTestServer } from '../../helpers/server.js';
import { newAdmin, newUser, type TestUser } from '../../helpers/users.js';

useTestServer();
const UNKNOWN = '00000000-0000-4000-8000-000000000000';
let adminUser: Promise<TestUser> | undefined;
const admin = () => (adminUser ??= newAdmin());

const officialOf = async (creator: TestUser) => (await createCommunity({ body: { name: 'Acme Official', type: 'official' }, ...creator.as })).data!.id;

describe('requestVerification', () => {
  it('records a request (201) that admins list, newest first, with the community name', async () => {
    const creator = await newUser('Creator');
    const id = await officialOf(creator);
    const { data, response } = await requestVerification({ path: { id }, body: { businessName: 'Acme Inc', businessRegistration: '12345', documentsUrl: 'https://docs.example.net/acme.pdf' }, ...creator.as });
    expect(response?.status).toBe(201);
    const listed = (await listVerificationRequests((await admin()).as)).data!.requests;
    expect(listed[0]).toMatchObject({ id: data!.requestId, communityId: id, requesterId: creator.user.id, businessName: 'Acme Inc', status: 'pending', reviewerNotes: null, reviewedAt: null, communityName: 'Acme Official' });
    expect((await listVerificationRequests({ query: { status: 'approved' }, ...(await admin()).as })).data!.requests.map((r) => r.id)).not.toContain(data!.requestId);
  });

  it('allows one pending request: a second, or the loser of two at once, gets 409 VERIFICATION_PENDING', async () => {
    const creator = await newUser('Creator');
    const id = await officialOf(creator);
    const results = await Promise.all([requestVerification({ path: { id }, body: {}, ...creator.as }), requestVerification({ path: { id }, body: {}, ...creator.as })]);
    expect(results.map((r) => r.response?.status).sort()).toEqual([201, 409]);
    expect(results.find((r) => r.response?.status === 409)!.error).toMatchObject({ code: 'VERIFICATION_PENDING' });
    // While pending, the type cannot change.
    expect((await updateCommunity({ path: { id }, body: { type: 'club' }, ...creator.as })).error).toMatchObject({ code: 'TYPE_CHANGE_NOT_ALLOWED' });
  });

  it('refuses non-creators (403), clubs (409 NOT_OFFICIAL), bad input (400, 413), anonymous (401), unknown (404)', async () => {
    const creator = await newUser('Creator');
    const id = await officialOf(creator);
    const other = await newUser('Other');
    expect((await requestVerification({ path: { id }, body: {}, ...other.as })).error).toMatchObject({ code: 'NOT_CREATOR' });
    expect((await requestVerification({ path: { id }, body: { documentsUrl: 'not a url' }, ...creator.as })).response?.status).toBe(400);
    expect((await requestVerification({ path: { id }, body: { businessName: 'x'.repeat(1_100_000) }, ...creator.as })).response?.status).toBe(413);
    expect((await requestVerification({ path: { id }, body: {} })).response?.status).toBe(401);
    expect((await requestVerification({ path: { id: UNKNOWN }, body: {}, ...creator.as })).response?.status).toBe(404);
    const club = (await createCommunity({ body: { name: 'Club' }, ...creator.as })).data!.id;
    expect((await requestVerification({ path: { id: club }, body: {}, ...creator.as })).error).toMatchObject({ code: 'NOT_OFFICIAL' });
  });
});

describe('reviewVerificationRequest', () => {
  it('approves (200): the community becomes verified; a second review is 409 ALREADY_REVIEWED; verified ones cannot ask again', async () => {
    const creator = await newUser('Creator');
    const id = await officialOf(creator);
    const requestId = (await requestVerification({ path: { id }, body: {}, ...creator.as })).data!.requestId;
    expect((await getCommunity({ path: { id } })).data!.isVerified).toBe(false);
    const reviewed = await reviewVerificationRequest({ path: { id: requestId }, body: { status: 'approved', reviewerNotes: 'Registry checked' }, ...(await admin()).as });
    expect(reviewed.data).toEqual({ success: true });
    expect((await getCommunity({ path: { id } })).data!.isVerified).toBe(true);
    const [request] = (await listVerificationRequests({ query: { status: 'approved' }, ...(await admin()).as })).data!.requests.filter((r) => r.id === requestId);
    expect(request).toMatchObject({ status: 'approved', reviewerNotes: 'Registry checked' });
    expect(request!.reviewedAt).not.toBeNull();
    expect((await reviewVerificationRequest({ path: { id: requestId }, body: { status: 'approved' }, ...(await admin()).as })).error).toMatchObject({ code: 'ALREADY_REVIEWED' });
    expect((await requestVerification({ path: { id }, body: {}, ...creator.as })).error).toMatchObject({ code: 'ALREADY_VERIFIED' });
  });

  it('rejects without verifying; of two concurrent reviews one wins, the other gets 409', async () => {
    const creator = await newUser('Creator');
    const id = await officialOf(creator);
    const requestId = (await requestVerification({ path: { id }, body: {}, ...creator.as })).data!.requestId;
    // Nothing given: the business fields are null.
    const [pending] = (await listVerificationRequests({ query: { status: 'pending' }, ...(await admin()).as })).data!.requests.filter((r) => r.id === requestId);
    expect(pending).toMatchObject({ businessName: null, businessRegistration: null, documentsUrl: null, reviewerNotes: null, reviewedAt: null });
    const results = await Promise.all([
      reviewVerificationRequest({ path: { id: requestId }, body: { status: 'rejected' }, ...(await admin()).as }),
      reviewVerificationRequest({ path: { id: requestId }, body: { status: 'approved' }, ...(await admin()).as }),
    ]);
    expect(results.map((r) => r.response?.status).sort()).toEqual([200, 409]);
    const won = results[0]!.response?.status === 200 ? 'rejected' : 'approved';
    expect((await getCommunity({ path: { id } })).data!.isVerified).toBe(won === 'approved');
    const [reviewed] = (await listVerificationRequests({ query: { status: won }, ...(await admin()).as })).data!.requests.filter((r) => r.id === requestId);
    expect(reviewed).toMatchObject({ status: won, reviewerNotes: null }); // notes left out: stored as null
    expect(reviewed!.reviewedAt).not.toBeNull();
    if (won === 'rejected') expect((await requestVerification({ path: { id }, body: {}, ...creator.as })).response?.status).toBe(201);
  });

  it('is for admins only (403 ADMIN_REQUIRED, 401), 404 unknown, 400 bad input, 413 huge', async () => {
    const user = await newUser('User');
    expect((await listVerificationRequests(user.as)).error).toMatchObject({ code: 'ADMIN_REQUIRED' });
    expect((await listVerificationRequests({})).response?.status).toBe(401);
    expect((await listVerificationRequests({ query: { status: 'lost' } as never, ...(await admin()).as })).response?.status).toBe(400);
    expect((await reviewVerificationRequest({ path: { id: UNKNOWN }, body: { status: 'approved' }, ...user.as })).response?.status).toBe(403);
    expect((await reviewVerificationRequest({ path: { id: UNKNOWN }, body: { status: 'approved' } })).response?.status).toBe(401);
    expect((await reviewVerificationRequest({ path: { id: UNKNOWN }, body: { status: 'approved' }, ...(await admin()).as })).response?.status).toBe(404);
    expect((await reviewVerificationRequest({ path: { id: UNKNOWN }, body: { status: 'maybe' } as never, ...(await admin()).as })).response?.status).toBe(400);
    expect((await reviewVerificationRequest({ path: { id: UNKNOWN }, body: { status: 'approved', reviewerNotes: 'x'.repeat(1_100_000) }, ...(await admin()).as })).response?.status).toBe(413);
  });
});
