// The communities rows' data (called by seed.ts when --only names one of them): two paid clubs (one per
// server: on PostgreSQL both servers share one database, so each joins its own) with N funded users who
// have not joined yet, a club with a long message history, and a club with an agent to chat with (the CS
// queue's data is seed-cs.ts's).
//
// Through the real services: the communities (CommunitiesService.create), the member reading the history
// and the agent chat's caller (CommunitiesService.join), the agent listing, every wallet credit (WalletService.credit, N of them, 10 at a time).
// Bulk SQL for volume: the N users and their sessions (AuthService.signUp hashes a password with scrypt,
// ~50 ms a user) and the messages (strictly increasing created_at, 1 ms apart, as appendMessage makes them).
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { hashToken } from '../../src/auth/tokens.js';
import type { Principal } from '../../src/platform/principal.js';
import type { Services } from '../../src/services.js';
import { contractBody } from '../../src/platform/contract-body.js';

export const JOIN_FEE = 5; // credits; each user is credited 100

export interface SeededCommunities {
  joinerTokens: string[];
  paidCommunityIds: { full: string; bare: string };
  historyCommunityId: string;
  messages: number;
  memberToken: string;
  /** A club whose default agent (a local-provider listing) the member chats with, call fee 0. */
  agentCommunityId: string;
  agentListingId: string;
  communitiesMs: number;
}

export async function seedCommunities(
  knex: Knex,
  services: Services,
  owner: Principal,
  guest: { token: string; principal: Principal },
  counts: { users: number; messages: number },
): Promise<SeededCommunities> {
  const started = performance.now();
  const club = (name: string, joinFee = 0) =>
    services.communities.create(owner, contractBody('createCommunity', { name, type: 'club', joinFee }));
  const [paidFull, paidBare, history] = [
    await club('Bench paid club (full)', JOIN_FEE),
    await club('Bench paid club (bare)', JOIN_FEE),
    await club('Bench history club'),
  ];

  // Users and sessions (the wallets come from the users_create_wallet trigger).
  const tokens = Array.from({ length: counts.users }, () => randomBytes(32).toString('base64url'));
  await knex.raw(
    `insert into users (name, email, password_hash) select 'Joiner ' || i, 'joiner' || i || '@example.com', 'not-a-password'
    from generate_series(1, ?::int) as i`,
    [counts.users],
  );
  const ids = (await knex('users').where('email', 'like', 'joiner%').select('id')).map((r: { id: string }) => r.id);
  for (let from = 0; from < tokens.length; from += 5_000) {
    await knex('auth_sessions').insert(
      tokens.slice(from, from + 5_000).map((token, n) => ({
        userId: ids[from + n],
        tokenHash: hashToken(token),
        expiresAt: new Date(Date.now() + 7 * 86_400_000),
      })),
    );
  }
  for (let from = 0; from < counts.users; from += 10) {
    await Promise.all(
      ids
        .slice(from, Math.min(from + 10, counts.users))
        .map((id) => services.wallet.credit(id, { amount: 100, reason: 'Bench funds' })),
    );
  }

  // The agent chat: the owner's public listing as the club's default agent; the guest is a member.
  const listing = await services.agents.create(owner, {
    name: 'Bench agent',
    model: 'local',
    instructions: 'You are the bench agent.',
    isPublic: true,
  });
  const agentClub = await services.communities.create(
    owner,
    contractBody('createCommunity', {
      name: 'Bench agent club',
      type: 'club',
      defaultAgentListingId: listing.id,
    }),
  );
  await services.communities.join(guest.principal, agentClub.id);

  // The history, newest last; the community's counter set past it, so that appendMessage stays increasing.
  await services.communities.join(guest.principal, history.id);
  await knex.raw(
    `insert into community_messages (community_id, user_id, content, message_type, created_at)
    select ?, case when i % 2 = 0 then ?::uuid else ?::uuid end, 'Seeded message ' || i, 'text', now() - interval '1 day' + make_interval(secs => i / 1000.0)
    from generate_series(1, ?::int) as i`,
    [history.id, owner.user.id, guest.principal.user.id, counts.messages],
  );
  await knex('communities')
    .where('id', history.id)
    .update({
      lastMessageAt: knex.raw('(select max(created_at) from community_messages where community_id = ?)', [history.id]),
    });

  return {
    joinerTokens: tokens,
    paidCommunityIds: { full: paidFull.id, bare: paidBare.id },
    historyCommunityId: history.id,
    messages: counts.messages,
    memberToken: guest.token,
    agentCommunityId: agentClub.id,
    agentListingId: listing.id,
    communitiesMs: Math.round(performance.now() - started),
  };
}
