// Two real server processes on one PostgreSQL under mixed concurrent load — admin credits retried with their
// idempotency key on the other instance, paid joins and leaves, agent chats (some clients leave early, some
// agents fail mid-stream), room posts replayed across instances — with one instance killed (SIGKILL) halfway
// and restarted. Every lost request is retried elsewhere. Afterwards money is conserved exactly, every agent
// call ended settled with its reply or refunded, each credit key credited once, each room post stored once,
// and no request was answered with a 5xx. `LOAD_SECONDS` (default 12) makes the run longer.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addCommunityAgent,
  createAgentListing,
  createCommunity,
  createPlatformClient,
  createRoom,
  createRoomInvitation,
  acceptRoomInvitation,
  creditWallet,
  joinCommunity,
  leaveCommunity,
  postRoomMessage,
  type Client,
} from '@platform/client';
import knexFactory, { type Knex } from 'knex';
import { knexSnakeCaseMappers } from 'objection';
import { databaseEnv, startChildServer, type ChildServer } from '../helpers/child-server.js';
import { databaseSettings } from '../helpers/database.js';
import { startFakeOpenAi, type FakeOpenAi } from '../helpers/fake-openai.js';
import { expectLedgersConsistent, expectMoneyConserved } from '../helpers/money.js';
import { newAdmin, newUser, type TestUser } from '../helpers/users.js';

const LOAD_MS = Number(process.env.LOAD_SECONDS ?? 12) * 1000;
const WORKERS = 12;
const SHARE = 0.1;
const STALE_AFTER_MS = 1000;

const { settings, cleanup } = await databaseSettings();
let fake: FakeOpenAi;
let env: Record<string, string>;
const servers: Array<ChildServer | undefined> = [undefined, undefined];
let knex: Knex;

beforeAll(async () => {
  if (!settings.databaseUrl) return;
  fake = await startFakeOpenAi({ paceMs: 60 });
  env = {
    ...databaseEnv(settings),
    AGENT_BASE_URL: fake.baseUrl,
    AGENT_TIMEOUT_MS: '5000',
    PLATFORM_FEE_SHARE: String(SHARE),
    AGENT_CALL_HEARTBEAT_MS: '200',
    AGENT_CALL_STALE_AFTER_MS: String(STALE_AFTER_MS),
  };
  knex = knexFactory({
    client: 'pg',
    connection: settings.databaseUrl,
    searchPath: [settings.databaseSchema!],
    pool: { min: 0, max: 2 },
    ...knexSnakeCaseMappers(),
  });
});
afterAll(async () => {
  for (const s of servers) await s?.kill();
  await knex?.destroy();
  await fake?.close();
  await cleanup();
});

/** The live instances' clients; a killed one is gone until its restart is up. */
const clients: Array<Client | undefined> = [undefined, undefined];
const pick = (n: number): Client | undefined => clients[n % 2] ?? clients[(n + 1) % 2];

interface Tally {
  requests: number;
  lost: number;
  serverErrors: string[];
  counts: Record<string, number>;
}

describe.runIf(Boolean(process.env.DATABASE_URL))('two instances under load, one killed (PostgreSQL)', () => {
  it('conserves money exactly, ends every agent call, credits each key once and stores each post once, with no 5xx', async () => {
    for (const n of [0, 1]) {
      servers[n] = await startChildServer(env);
      clients[n] = createPlatformClient({ baseUrl: servers[n]!.baseUrl });
    }
    const first = clients[0]!;
    const admin = await newAdmin({ client: first });
    const creators = await Promise.all(Array.from({ length: 4 }, (_, i) => newUser(`Creator ${i}`, { client: first })));
    const members = await Promise.all(Array.from({ length: 16 }, (_, i) => newUser(`Member ${i}`, { client: first })));
    const communities: Array<{ id: string; listings: string[] }> = [];
    for (const creator of creators) {
      const { id } = (
        await createCommunity({
          client: first,
          body: { name: 'Busy club', joinFee: 1, monthlyFee: 2, agentCallFee: 0.5 },
          auth: creator.as.auth,
        })
      ).data!;
      const listings: string[] = [];
      for (const model of ['fake-paced', 'fake-ok', 'fake-midstream-failure']) {
        const listing = (
          await createAgentListing({ client: first, body: { name: model, model }, auth: creator.as.auth })
        ).data!;
        await addCommunityAgent({
          client: first,
          path: { id },
          body: { listingId: listing.id },
          auth: creator.as.auth,
        });
        listings.push(listing.id);
      }
      communities.push({ id, listings });
    }
    // Everyone starts with some money and a membership, so chats and leaves have something to do.
    for (const [i, member] of members.entries()) {
      await creditWallet({
        client: first,
        path: { user_id: member.user.id },
        body: { amount: 20, reason: 'setup', idempotencyKey: randomUUID() },
        auth: admin.as.auth,
      });
      await joinCommunity({
        client: first,
        path: { id: communities[i % communities.length]!.id },
        auth: member.as.auth,
      });
    }
    const owner = members[0]!;
    const room = (await createRoom({ client: first, body: { name: 'Load room' }, auth: owner.as.auth })).data!;
    for (const member of members.slice(1)) {
      const invitation = (
        await createRoomInvitation({
          client: first,
          path: { room_id: room.id },
          body: { inviteeKind: 'human', inviteeMembershipId: member.user.id },
          auth: owner.as.auth,
        })
      ).data!;
      await acceptRoomInvitation({
        client: first,
        path: { room_id: room.id, invitation_id: invitation.id },
        auth: member.as.auth,
      });
    }

    const tally: Tally = { requests: 0, lost: 0, serverErrors: [], counts: {} };
    const credited = new Map<string, number>(); // idempotency key -> amount
    const posted = new Set<string>();
    const random = <T>(items: T[]) => items[Math.floor(Math.random() * items.length)]!;

    /** Sends on instance `n`, retrying on the other while a request is lost to a dead server; a 5xx is recorded. */
    const send = async (
      n: number,
      what: string,
      call: (client: Client) => Promise<{ response?: Response }>,
    ): Promise<Response | undefined> => {
      for (let attempt = 0; attempt < 20; attempt++) {
        const client = pick(n + attempt);
        if (!client) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          continue;
        }
        tally.requests += 1;
        // No response: the instance died under it (the client reports a network error): try the other.
        const response = await call(client).then(
          (r) => r.response,
          () => undefined,
        );
        if (!response) {
          tally.lost += 1;
          continue;
        }
        if (response.status >= 500) tally.serverErrors.push(`${what}: ${response.status}`);
        tally.counts[what] = (tally.counts[what] ?? 0) + 1;
        return response;
      }
      throw new Error(`${what}: no instance answered`);
    };

    const chat = async (n: number, member: TestUser) => {
      const community = random(communities);
      const controller = new AbortController();
      const leaveEarly = Math.random() < 0.3;
      await send(n, 'agent chat', async (client) => {
        const response = await fetch(`${client.getConfig().baseUrl}/api/communities/${community.id}/agent-chat`, {
          method: 'POST',
          signal: controller.signal,
          headers: { Authorization: `Bearer ${member.token}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ content: 'Busy?', listingId: random(community.listings), expectedFee: 0.5 }),
        });
        if (response.status === 200) {
          const reader = response.body!.getReader();
          try {
            if (leaveEarly) {
              await reader.read();
              controller.abort();
            } else
              while (!(await reader.read()).done) {
                /* to the end */
              }
          } catch {
            /* cut by a kill, or left early */
          }
        } else {
          await response.body?.cancel();
        }
        return { response };
      });
    };

    const actions: Array<(n: number) => Promise<void>> = [
      async (n) => {
        const key = randomUUID();
        const amount = random([1, 2.5, 10]);
        const member = random(members);
        // Sent, then sent again with the same key as a client that never saw the answer would: one credit.
        for (const [k, what] of [
          [n, 'credit'],
          [n + 1, 'credit replay'],
        ] as const) {
          const response = await send(k, what, (client) =>
            creditWallet({
              client,
              path: { user_id: member.user.id },
              body: { amount, reason: 'load', idempotencyKey: key },
              auth: admin.as.auth,
            }),
          );
          if (response?.status === 201) credited.set(key, amount);
        }
      },
      async (n) => {
        const m = random(members);
        await send(n, 'join', (client) =>
          joinCommunity({
            client,
            path: { id: random(communities).id },
            body: { expectedJoinFee: 1, expectedMonthlyFee: 2 },
            auth: m.as.auth,
          }),
        );
      },
      async (n) => {
        const m = random(members);
        await send(n, 'leave', (client) =>
          leaveCommunity({ client, path: { id: random(communities).id }, auth: m.as.auth }),
        );
      },
      async (n) => chat(n, random(members)),
      async (n) => chat(n, random(members)),
      async (n) => {
        const key = randomUUID();
        const member = random(members);
        for (const k of [n, n + 1])
          await send(k, 'room post', (client) =>
            postRoomMessage({
              client,
              path: { room_id: room.id },
              body: { body: `load ${key}`, idempotencyKey: key },
              auth: member.as.auth,
            }),
          );
        posted.add(key);
      },
    ];

    const started = Date.now();
    let killedAt = 0;
    const chaos = (async () => {
      await new Promise((resolve) => setTimeout(resolve, LOAD_MS / 2));
      await servers[0]!.kill('SIGKILL'); // requests in flight there are lost, and retried on the other
      killedAt = Date.now();
      clients[0] = undefined;
      servers[0] = await startChildServer(env);
      clients[0] = createPlatformClient({ baseUrl: servers[0]!.baseUrl });
    })();
    await Promise.all(
      Array.from({ length: WORKERS }, async (_, w) => {
        for (let i = w; Date.now() - started < LOAD_MS; i++) await random(actions)(i);
      }),
    );
    await chaos;

    // Every call ends: the dead instance's by a reaper within the bound, the rest as they finish.
    await expect
      .poll(async () => Number((await knex('agent_calls').where('status', 'in_progress').count({ n: '*' }))[0]!.n), {
        timeout: 30_000,
        interval: 200,
      })
      .toBe(0);
    const calls = Object.fromEntries(
      (
        (await knex('agent_calls')
          .groupBy('status', 'failure')
          .select('status', 'failure')
          .count({ n: '*' })) as Array<{ status: string; failure: string | null; n: string }>
      ).map((r) => [`${r.status}${r.failure ? ` ${r.failure}` : ''}`, Number(r.n)]),
    );
    console.log(
      `load: ${tally.requests} requests in ${Date.now() - started} ms (${JSON.stringify(tally.counts)}), ${tally.lost} lost to the kill and retried; ` +
        `instance killed at ${killedAt - started} ms; agent calls ${JSON.stringify(calls)}`,
    );

    expect(tally.serverErrors).toEqual([]);
    expect(killedAt).toBeGreaterThan(0);
    await expectLedgersConsistent(knex);
    await expectMoneyConserved(knex, { platformFeeShare: SHARE });
    const credits = (await knex('ledger_entries')
      .where('kind', 'credit')
      .whereIn('description', ['load'])
      .select('amountMinor')) as Array<{ amountMinor: string }>;
    expect(credits.reduce((sum, c) => sum + Number(c.amountMinor), 0)).toBe(
      [...credited.values()].reduce((sum, a) => sum + Math.round(a * 100), 0),
    );
    const posts = (await knex('room_messages')
      .where('roomId', room.id)
      .where('body', 'like', 'load %')
      .select('body')) as Array<{ body: string }>;
    expect(posts.length).toBe(new Set(posts.map((p) => p.body)).size);
    expect(new Set(posts.map((p) => p.body.slice(5)))).toEqual(posted);
  }, 180_000);
});
