// Killing a real server process (src/server.ts, SIGKILL) in the middle of what moves money: every agent call
// still ends settled with its stored reply or refunded, a renewal is charged once, and money is conserved.
// The moments: before an agent's first chunk, mid-stream, after `done`, after the client left, while the reply
// is stored and settled, while a failed call is refunded, while a renewal is charged (the last three held
// open at a failpoint, src/platform/failpoints.ts, then killed). The agent is a slow local provider, so each
// moment can be chosen.
// - PostgreSQL: a second instance stays alive (in this process, its jobs running) and ends the dead one's
//   calls within the bound (AGENT_CALL_STALE_AFTER_MS x 1.25), as it would in production.
// - PGlite (one process per database): the killed server is restarted at once on its data directory; it ends
//   what its dead predecessor left before it listens. Each failpoint needs a run of its own there (the
//   embedded database has one connection, which a held transaction keeps).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addCommunityAgent,
  createAgentListing,
  createCommunity,
  createPlatformClient,
  creditWallet,
  joinCommunity,
  listCommunityMessages,
  listLedgerEntries,
  type Client,
} from '@platform/client';
import { buildApp, type Platform } from '../../src/app.js';
import { openDatabase } from '../../src/platform/database.js';
import { databaseEnv, startChildServer, type ChildServer } from '../helpers/child-server.js';
import { databaseSettings } from '../helpers/database.js';
import { startFakeOpenAi, type FakeOpenAi } from '../helpers/fake-openai.js';
import { expectLedgersConsistent, expectMoneyConserved } from '../helpers/money.js';
import { testConfig } from '../helpers/server.js';
import { StreamReader, type WireEvent } from '../helpers/sse.js';
import { newAdmin, newUser, type TestUser } from '../helpers/users.js';

const onPostgres = Boolean(process.env.DATABASE_URL);
const HEARTBEAT_MS = 200;
const STALE_AFTER_MS = 1000;
/** How long an orphaned call may wait: the documented bound, plus the reaper's own statements. */
const BOUND_MS = STALE_AFTER_MS * 1.25 + 1000;
const FEE = 0.5;
const MONTHLY = 2;

let fake: FakeOpenAi;
const { settings, cleanup } = await databaseSettings();
let env: Record<string, string>;
/** PostgreSQL: the instance that stays alive. */
let survivor: Platform | undefined;
let server: ChildServer | undefined;

beforeAll(async () => {
  fake = await startFakeOpenAi({ slowMs: 120_000, paceMs: 250 });
  env = {
    ...databaseEnv(settings),
    AGENT_BASE_URL: fake.baseUrl,
    AGENT_TIMEOUT_MS: '120000',
    AGENT_CALL_HEARTBEAT_MS: String(HEARTBEAT_MS),
    AGENT_CALL_STALE_AFTER_MS: String(STALE_AFTER_MS),
    RENEWAL_INTERVAL_SECONDS: '3600',
  };
});
afterAll(async () => {
  await server?.kill();
  await survivor?.close();
  await fake?.close();
  await cleanup();
});

/** The database, read from this process: the survivor's on PostgreSQL; on PGlite, opened while no server runs. */
async function inspect<T>(work: (knex: Platform['database']['knex']) => Promise<T>): Promise<T> {
  if (survivor) return work(survivor.database.knex);
  const database = await openDatabase({ ...testConfig(settings), poolMax: 1 });
  try {
    return await work(database.knex);
  } finally {
    await database.close();
  }
}

async function start(extra: Record<string, string> = {}): Promise<{ child: ChildServer; client: Client }> {
  const child = await startChildServer({ ...env, ...extra });
  server = child;
  const client = createPlatformClient({ baseUrl: child.baseUrl });
  return { child, client };
}

/** A raw agent chat, read as the wire shows it. */
async function chat(
  child: ChildServer,
  as: TestUser,
  communityId: string,
  listingId: string,
  signal?: AbortSignal,
): Promise<StreamReader> {
  const response = await fetch(`${child.baseUrl}/api/communities/${communityId}/agent-chat`, {
    method: 'POST',
    signal,
    headers: { Authorization: `Bearer ${as.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ content: 'Tell me something.', listingId, expectedFee: FEE }),
  });
  expect(response.status).toBe(200);
  return new StreamReader(response);
}

const chunks = (events: WireEvent[]) => events.filter((e) => e.event === 'chunk').length;

interface Calls {
  status: string;
  failure: string | null;
  replyMessageId: string | null;
  userMessageId: string;
}
const callsByMessage = (userMessageIds: string[]) =>
  inspect(
    async (knex) =>
      new Map(
        (
          (await knex('agent_calls')
            .whereIn('userMessageId', userMessageIds)
            .select('status', 'failure', 'replyMessageId', 'userMessageId')) as Calls[]
        ).map((c) => [c.userMessageId, c]),
      ),
  );

/** Waits until no call is in progress (the survivor's reaper), and returns how long it took. */
async function untilEnded(since: number): Promise<number> {
  for (;;) {
    const open = await inspect(async (knex) =>
      Number((await knex('agent_calls').where('status', 'in_progress').count({ n: '*' }))[0]!.n),
    );
    if (open === 0) return Date.now() - since;
    if (Date.now() - since > 30_000) throw new Error(`${open} calls still in progress 30 s after the kill`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe(`agent calls and renewals when a server is killed (${onPostgres ? 'PostgreSQL, a second instance alive' : 'PGlite, restarted at once'})`, () => {
  let admin: TestUser;
  let creator: TestUser;
  let member: TestUser;
  let communityId: string;
  const listings: Record<'slow' | 'paced' | 'ok' | 'failing', string> = { slow: '', paced: '', ok: '', failing: '' };
  const as = (user: TestUser, client: Client) => ({ ...user.as, client });

  it('kills it before the first chunk, mid-stream, after done, and after its client left: each call ends, settled or refunded, within the bound', async () => {
    const { child, client } = await start();
    if (onPostgres) {
      survivor = await buildApp(
        testConfig({
          ...settings,
          agent: { callHeartbeatMs: HEARTBEAT_MS, callStaleAfterMs: STALE_AFTER_MS },
          renewalIntervalSeconds: 3600,
        }),
      );
    }
    admin = await newAdmin({ client });
    creator = await newUser('Creator', { client });
    member = await newUser('Member', { client });
    communityId = (
      await createCommunity({
        body: { name: 'Paid club', agentCallFee: FEE, monthlyFee: MONTHLY },
        ...as(creator, client),
      })
    ).data!.id;
    for (const [key, model] of [
      ['slow', 'fake-slow'],
      ['paced', 'fake-paced'],
      ['ok', 'fake-ok'],
      ['failing', 'fake-500'],
    ] as const) {
      listings[key] = (await createAgentListing({ body: { name: `Agent ${key}`, model }, ...as(creator, client) }))
        .data!.id;
      await addCommunityAgent({
        path: { id: communityId },
        body: { listingId: listings[key] },
        ...as(creator, client),
      });
    }
    await creditWallet({
      path: { user_id: member.user.id },
      body: { amount: 20, reason: 'test funds', idempotencyKey: randomUUID() },
      ...as(admin, client),
    });
    expect(
      (await joinCommunity({ path: { id: communityId }, body: { expectedMonthlyFee: MONTHLY }, ...as(member, client) }))
        .response?.status,
    ).toBe(200);

    const finished = await chat(child, member, communityId, listings.ok);
    expect(await finished.ended).toBe('end');
    const done = finished.events.at(-1)!;
    expect(done.event).toBe('done');
    const beforeFirstChunk = await chat(child, member, communityId, listings.slow);
    const midStream = await chat(child, member, communityId, listings.paced);
    const leaving = new AbortController();
    const leftEarly = await chat(child, member, communityId, listings.paced, leaving.signal);
    await Promise.all([beforeFirstChunk.waitFor(1), midStream.waitFor(4), leftEarly.waitFor(1)]);
    leaving.abort();
    expect(chunks(beforeFirstChunk.events)).toBe(0);
    expect(chunks(midStream.events)).toBeGreaterThanOrEqual(3);

    await child.kill('SIGKILL');
    const killedAt = Date.now();
    expect(await midStream.ended).toBe('cut');
    if (onPostgres) {
      const waited = await untilEnded(killedAt);
      console.log(
        `orphaned agent calls ended by the surviving instance ${waited} ms after the kill (bound ${STALE_AFTER_MS * 1.25} ms + reaper)`,
      );
      expect(waited).toBeLessThan(BOUND_MS);
    } else {
      const restarted = await start();
      console.log(`restarted on the embedded database ${Date.now() - killedAt} ms after the kill`);
      await restarted.child.kill('SIGTERM'); // it refunded what was left before listening
    }
    await untilEnded(killedAt);

    const ids = [finished, beforeFirstChunk, midStream, leftEarly].map(
      (r) => r.events[0]!.data.userMessageId as string,
    );
    const calls = await callsByMessage(ids);
    expect(calls.get(ids[0]!)).toMatchObject({
      status: 'settled',
      failure: null,
      replyMessageId: done.data.agentMessageId,
    });
    for (const id of ids.slice(1))
      expect(calls.get(id)).toMatchObject({ status: 'refunded', failure: 'INTERRUPTED', replyMessageId: null });
    await inspect(async (knex) => {
      const replies = await knex('community_messages').where({ communityId, messageType: 'agent' }).pluck('id');
      expect(replies).toEqual([done.data.agentMessageId]);
      const balances = Object.fromEntries(
        (
          (await knex('wallets')
            .whereIn('userId', [member.user.id, creator.user.id])
            .select('userId', 'balanceMinor')) as Array<{ userId: string; balanceMinor: string }>
        ).map((w) => [w.userId, Number(w.balanceMinor) / 100]),
      );
      expect(balances[member.user.id]).toBe(20 - MONTHLY - FEE);
      expect(balances[creator.user.id]).toBe(MONTHLY + FEE);
      await expectLedgersConsistent(knex);
      await expectMoneyConserved(knex, { platformFeeShare: 0 });
    });
  }, 120_000);

  it('kills it while it stores and settles a reply, while it refunds a failed call and while it charges a renewal: each commits whole or not at all, and is finished once', async () => {
    const due = () =>
      inspect((knex) =>
        knex('community_members')
          .where({ communityId, userId: member.user.id })
          .update({ paidUntil: new Date(Date.now() - 60_000) }),
      );
    const cases: Array<{ failpoint: string; begin: (child: ChildServer) => Promise<unknown> }> = [
      // The refund first: on PGlite every start refunds what the last one left, and would stop there.
      { failpoint: 'agent-call.refund', begin: (child) => chat(child, member, communityId, listings.failing) },
      { failpoint: 'agent-call.settle', begin: (child) => chat(child, member, communityId, listings.ok) },
      { failpoint: 'renewal.charge', begin: async () => undefined },
    ];
    await due();
    // One server per moment: a transaction held open keeps its locks (the community's row, the wallets), which
    // the next moment's transaction would wait for; on PGlite it holds the one connection.
    for (const c of cases) {
      const renewal = c.failpoint === 'renewal.charge';
      const { child } = await start({ FAILPOINTS: c.failpoint, RENEWAL_INTERVAL_SECONDS: renewal ? '1' : '3600' });
      await c.begin(child);
      await child.reached(c.failpoint);
      await child.kill('SIGKILL');
      const killedAt = Date.now();
      if (onPostgres) {
        // The survivor ends the calls by itself; a renewal is charged by the next run of the job, anywhere.
        expect(await untilEnded(killedAt)).toBeLessThan(BOUND_MS);
        if (renewal) {
          // The killed server's transaction still holds the member's row until PostgreSQL notices the connection
          // is gone and rolls it back; until then the job skips the locked row (SKIP LOCKED), so run it again.
          let charged = 0;
          await expect
            .poll(async () => (charged += (await survivor!.services.communityRenewals.runOnce()).charged), {
              timeout: 10_000,
            })
            .toBe(1);
        }
      }
    }
    if (!onPostgres) {
      // The restart ends the calls its predecessor left, then its renewal job charges the month once.
      const { child, client } = await start({ RENEWAL_INTERVAL_SECONDS: '1' });
      await expect
        .poll(
          async () =>
            (await listLedgerEntries({ query: { limit: 100 }, ...as(member, client) })).data!.entries.filter(
              (e) => e.kind === 'monthly_fee',
            ).length,
          { timeout: 10_000 },
        )
        .toBe(2);
      expect(
        (await listCommunityMessages({ path: { id: communityId }, ...as(member, client) })).data!.messages.filter(
          (m) => m.messageType === 'agent',
        ),
      ).toHaveLength(1);
      await child.kill('SIGTERM');
    }

    await inspect(async (knex) => {
      const calls = (await knex('agent_calls')
        .where({ communityId })
        .orderBy('createdAt')
        .select('status', 'failure', 'listingId')) as Array<{
        status: string;
        failure: string | null;
        listingId: string;
      }>;
      expect(calls.slice(-2)).toEqual([
        { status: 'refunded', failure: 'INTERRUPTED', listingId: listings.failing },
        { status: 'refunded', failure: 'INTERRUPTED', listingId: listings.ok }, // its reply was being stored: not kept, not paid
      ]);
      expect(
        Number((await knex('community_messages').where({ communityId, messageType: 'agent' }).count({ n: '*' }))[0]!.n),
      ).toBe(1);
      expect(
        Number(
          (await knex('ledger_entries').where({ userId: member.user.id, kind: 'refund' }).count({ n: '*' }))[0]!.n,
        ),
      ).toBe(5);
      expect(
        Number(
          (await knex('community_paid_months').where({ communityId, userId: member.user.id }).count({ n: '*' }))[0]!.n,
        ),
      ).toBe(2);
      const [wallet] = (await knex('wallets').where('userId', member.user.id).select('balanceMinor')) as Array<{
        balanceMinor: string;
      }>;
      expect(Number(wallet!.balanceMinor) / 100).toBe(20 - 2 * MONTHLY - FEE);
      await expectLedgersConsistent(knex);
      await expectMoneyConserved(knex, { platformFeeShare: 0 });
    });
  }, 180_000);
});
