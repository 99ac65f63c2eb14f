// Wallet: the balance, its immutable ledger, and admin credits through the idempotency facility.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { creditWallet, getWallet, listLedgerEntries } from '@platform/client';
import { useTestServer } from '../../helpers/server.js';
import { fieldsOf } from '../../helpers/problems.js';
import { expectLedgersConsistent } from '../../helpers/money.js';
import { newAdmin, newUser, type TestUser } from '../../helpers/users.js';
import { expectByteExactReplay, sendJson } from '../../helpers/replays.js';

const server = useTestServer();
afterEach(async () => {
  await expectLedgersConsistent(server.platform);
});
const UNKNOWN = '00000000-0000-4000-8000-000000000000';
let adminUser: TestUser | undefined;
const admin = async () => (adminUser ??= await newAdmin());

describe('getWallet', () => {
  it('starts every user at 0 credits from sign-up (200), and needs a caller (401)', async () => {
    const alice = await newUser('Alice');
    const { data, response } = await getWallet(alice.as);
    expect(response?.status).toBe(200);
    expect(data).toMatchObject({ balance: 0, currency: 'credits' });
    // No entries: updatedAt is when the wallet was created (at sign-up, before this read).
    expect(Date.parse(data!.updatedAt)).toBeLessThanOrEqual(Date.now());
    expect((await getWallet(alice.as)).data!.updatedAt).toBe(data!.updatedAt);
    expect((await getWallet({})).response?.status).toBe(401);
    expect((await getWallet({ query: { user: 'x' } as never, ...alice.as })).response?.status).toBe(400);
  });
});

describe('creditWallet', () => {
  it('credits exactly, writes one ledger entry, and the balance is the sum of the entries (201)', async () => {
    const alice = await newUser('Alice');
    const amounts = [0.29, 1.15, 0.1, 0.2, 100];
    for (const amount of amounts) {
      const { data, response } = await creditWallet({
        path: { user_id: alice.user.id },
        body: { amount, reason: `credit ${amount}`, idempotencyKey: randomUUID() },
        ...(await admin()).as,
      });
      expect(response?.status).toBe(201);
      expect(response?.headers.get('idempotent-replayed')).toBeNull();
      expect(data).toMatchObject({
        amount,
        kind: 'credit',
        description: `credit ${amount}`,
        referenceType: null,
        referenceId: null,
      });
    }
    expect((await getWallet(alice.as)).data!.balance).toBe(101.74);
    const ledger = (await listLedgerEntries({ query: { limit: 2 }, ...alice.as })).data!;
    // updatedAt is the time of the newest ledger entry.
    expect((await getWallet(alice.as)).data!.updatedAt).toBe(ledger.entries[0]!.createdAt);
    expect(ledger).toMatchObject({ total: 5, page: 1, totalPages: 3 });
    expect(ledger.entries.map((e) => [e.amount, e.balanceAfter])).toEqual([
      [100, 101.74],
      [0.2, 1.74],
    ]);
  });

  it('replays the same key and body with Idempotent-Replayed (201, credited once); another body is 409', async () => {
    const alice = await newUser('Alice');
    const key = randomUUID();
    const body = { amount: 5, reason: 'welcome', idempotencyKey: key };
    const first = await creditWallet({ path: { user_id: alice.user.id }, body, ...(await admin()).as });
    const again = await creditWallet({ path: { user_id: alice.user.id }, body, ...(await admin()).as });
    expect(again.response?.status).toBe(201);
    expect(again.response?.headers.get('idempotent-replayed')).toBe('true');
    expect(again.data).toEqual(first.data);
    const reused = await creditWallet({
      path: { user_id: alice.user.id },
      body: { ...body, amount: 6 },
      ...(await admin()).as,
    });
    expect(reused.response?.status).toBe(409);
    expect(reused.error).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
    expect((await getWallet(alice.as)).data!.balance).toBe(5);
  });

  it('a replay is the first answer byte for byte over HTTP: status, body bytes, documented headers, plus Idempotent-Replayed', async () => {
    const alice = await newUser('Alice');
    const url = `${server.baseUrl}/api/admin/wallets/${alice.user.id}/credits`;
    const body = { amount: 0.29, reason: 'Bienvenue, crédits offerts ✓', idempotencyKey: randomUUID() };
    const first = await sendJson(url, 'POST', (await admin()).token, body);
    expect(first.status).toBe(201);
    const replay = await sendJson(url, 'POST', (await admin()).token, body);
    expectByteExactReplay('creditWallet', first, replay);
    expect(JSON.parse(first.body.toString('utf8'))).toMatchObject({
      amount: 0.29,
      balanceAfter: 0.29,
      description: body.reason,
    });
    expect((await getWallet(alice.as)).data!.balance).toBe(0.29);
  });

  it('credits once for 20 concurrent requests with one key; the others replay the same entry', async () => {
    const alice = await newUser('Alice');
    const body = { amount: 2.5, reason: 'concurrent', idempotencyKey: randomUUID() };
    const results = await Promise.all(
      Array.from({ length: 20 }, async () =>
        creditWallet({ path: { user_id: alice.user.id }, body, ...(await admin()).as }),
      ),
    );
    expect(results.map((r) => r.response?.status)).toEqual(Array(20).fill(201));
    expect(new Set(results.map((r) => r.data!.id)).size).toBe(1);
    expect(results.filter((r) => r.response?.headers.get('idempotent-replayed') === 'true')).toHaveLength(19);
    expect((await getWallet(alice.as)).data!.balance).toBe(2.5);
  });

  it('does not use up a key on a request that failed validation', async () => {
    const alice = await newUser('Alice');
    const key = randomUUID();
    const bad = await creditWallet({
      path: { user_id: alice.user.id },
      body: { amount: 1.234, reason: 'x', idempotencyKey: key },
      ...(await admin()).as,
    });
    expect(bad.response?.status).toBe(400);
    expect(fieldsOf(bad.error)).toEqual(['body:amount']);
    const good = await creditWallet({
      path: { user_id: alice.user.id },
      body: { amount: 1.23, reason: 'x', idempotencyKey: key },
      ...(await admin()).as,
    });
    expect(good.response?.status).toBe(201);
    expect(good.response?.headers.get('idempotent-replayed')).toBeNull();
  });

  it.each([
    ['more than two decimals', { amount: 0.001 }, 'body:amount'],
    ['zero', { amount: 0 }, 'body:amount'],
    ['above 1,000,000', { amount: 1_000_000.01 }, 'body:amount'],
    ['an empty reason', { reason: '' }, 'body:reason'],
    ['a missing key', { idempotencyKey: undefined }, 'body:idempotencyKey'],
  ])('refuses %s (400 naming the field) and credits nothing', async (_what, change, field) => {
    const alice = await newUser('Alice');
    const body = { amount: 1, reason: 'x', idempotencyKey: randomUUID(), ...change };
    // Exactly these bytes: the client would add the idempotency key the missing-key case leaves out.
    const { response, error } = await creditWallet({
      path: { user_id: alice.user.id },
      body: body as never,
      bodySerializer: () => JSON.stringify(body),
      ...(await admin()).as,
    });
    expect(response?.status).toBe(400);
    expect(fieldsOf(error)).toContain(field);
    expect((await getWallet(alice.as)).data!.balance).toBe(0);
  });

  it('is for admins only (403 ADMIN_REQUIRED, 401 anonymous); an unknown user is 404; a huge body 413', async () => {
    const alice = await newUser('Alice');
    const body = { amount: 1, reason: 'x', idempotencyKey: randomUUID() };
    const denied = await creditWallet({ path: { user_id: alice.user.id }, body, ...alice.as });
    expect(denied.response?.status).toBe(403);
    expect(denied.error).toMatchObject({ code: 'ADMIN_REQUIRED' });
    expect((await creditWallet({ path: { user_id: alice.user.id }, body })).response?.status).toBe(401);
    const unknown = await creditWallet({ path: { user_id: UNKNOWN }, body, ...(await admin()).as });
    expect(unknown.response?.status).toBe(404);
    expect(
      (
        await creditWallet({
          path: { user_id: alice.user.id },
          body: { ...body, reason: 'x'.repeat(1_100_000) },
          ...(
            await admin()
          ).as,
        })
      ).response?.status,
    ).toBe(413);
    expect((await getWallet(alice.as)).data!.balance).toBe(0);
  });
});

describe('listLedgerEntries', () => {
  it('pages newest first, refuses a limit above 100 (400) and anonymous callers (401)', async () => {
    const alice = await newUser('Alice');
    expect((await listLedgerEntries(alice.as)).data).toEqual({ entries: [], total: 0, page: 1, totalPages: 0 });
    expect((await listLedgerEntries({ query: { limit: 101 }, ...alice.as })).response?.status).toBe(400);
    expect((await listLedgerEntries({})).response?.status).toBe(401);
  });
});
