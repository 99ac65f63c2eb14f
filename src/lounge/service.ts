// Lounges: communities of type `lounge` whose agent talks by voice. Joining is free; a monthly subscription
// (price in cents, charged at 1 credit per 100 cents, renewed by the communities' renewal job) gives voice on
// every reply, and everyone else has `freeMinutesPerDay` minutes of voice a UTC day. Voice cloning runs as a
// job outside any transaction (voice-cloning.ts), started as soon as a lounge is created and on a timer.
import type { Knex } from 'knex';
import type { HandlerRequest } from '../../generated/server/index.js';
import type * as T from '../../generated/server/schemas.gen.js';
import type { VoiceProvider } from '../ai/voice-provider.js';
import type { AgentListingsService } from '../agents/index.js';
import { findUserProfile } from '../auth/index.js';
import {
  addMember,
  countMembers,
  findCommunity,
  findMember,
  updateSubscription,
  type CommunitiesService,
  type Community,
  type CommunityMember,
} from '../communities/index.js';
import {
  countConversations,
  type Conversation,
  type ConversationsService,
  type VoicePlan,
} from '../conversations/index.js';
import type { Clock } from '../platform/clock.js';
import type { Principal } from '../platform/principal.js';
import { inTransaction, type Db, type Transaction } from '../platform/transactions.js';
import { alreadySubscribed, loungeNotFound, noSubscription, notLoungeCreator, notSubscribed } from './errors.js';
import { Lounge } from './models.js';
import { recordVoiceUsage, subscriptionPriceCents, voiceUsedMs } from './queries.js';
import { VoiceCloning, type VoiceCloningOptions } from './voice-cloning.js';

const startOfUtcDay = (now: Date) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));

export class LoungeService {
  readonly cloning: VoiceCloning;

  constructor(
    private readonly db: Knex,
    private readonly clock: Clock,
    private readonly communities: CommunitiesService,
    private readonly conversations: ConversationsService,
    private readonly agents: AgentListingsService,
    voices: VoiceProvider,
    cloning: VoiceCloningOptions,
  ) {
    this.cloning = new VoiceCloning(db, voices, cloning);
  }

  async create(
    principal: Principal,
    input: HandlerRequest<'createLounge'>['body'],
    trx?: Transaction,
  ): Promise<T.LoungeCreated> {
    const created = await inTransaction(this.db, trx, async (t) => {
      if (input.defaultAgentListingId) await this.agents.usable(t, principal, input.defaultAgentListingId);
      const { id } = await this.communities.createRow(t, principal, {
        name: input.name,
        description: input.description,
        avatarUrl: input.avatarUrl,
        type: 'lounge',
        // A lounge's members pay by subscription: no fee of a club, and the agent answers itself.
        joinFee: 0,
        monthlyFee: 0,
        agentCallFee: 0,
        csMode: 'ai_only',
        defaultAgentListingId: input.defaultAgentListingId,
      });
      await Lounge.query(t).insert({
        communityId: id,
        voiceSamplesUrl: input.voiceSamplesUrl ?? null,
        voiceModelStatus: input.voiceSamplesUrl ? 'pending' : 'none',
        freeMinutesPerDay: input.freeMinutesPerDay,
        subscriptionPriceCents: input.subscriptionPriceCents,
      });
      return { id };
    });
    // Started once the lounge is committed (never inside a caller's transaction); the timer retries.
    if (input.voiceSamplesUrl && !trx) void this.cloneVoices().catch(() => undefined);
    return created;
  }

  async get(id: string): Promise<T.LoungeDetail> {
    const { community, lounge } = await this.find(this.db, id);
    const creator = (await findUserProfile(this.db, community.creatorId))!;
    return {
      id,
      creatorId: community.creatorId,
      name: community.name,
      description: community.description,
      avatarUrl: community.avatarUrl,
      memberCount: community.memberCount,
      voiceModelId: lounge.voiceModelId,
      voiceModelStatus: lounge.voiceModelStatus,
      voiceModelError: lounge.voiceModelError,
      voiceSamplesUrl: lounge.voiceSamplesUrl,
      freeMinutesPerDay: lounge.freeMinutesPerDay,
      subscriptionPriceCents: Number(lounge.subscriptionPriceCents),
      defaultAgentListingId: community.defaultAgentListingId,
      createdAt: community.createdAt.toISOString(),
      creatorName: creator.name,
      creatorImage: creator.image,
    };
  }

  /** The caller's conversation with the lounge agent; joins them first (free) if needed. */
  async startChat(
    principal: Principal,
    id: string,
    trx?: Transaction,
  ): Promise<{ created: boolean; body: T.LoungeChatStarted }> {
    return inTransaction(this.db, trx, async (t) => {
      await this.find(t, id);
      await this.ensureMember(t, id, principal.user.id);
      const { conversation, created } = await this.conversations.openFor(t, id, principal.user.id, 'ai_active');
      return { created, body: { conversationId: conversation.id, existing: !created } };
    });
  }

  async dashboard(principal: Principal, id: string): Promise<T.LoungeDashboard> {
    const { community, lounge } = await this.find(this.db, id);
    if (community.creatorId !== principal.user.id) throw notLoungeCreator();
    const [active, conversations, usage] = await Promise.all([
      countMembers(this.db, id, { subscriptionStatus: 'active' }),
      countConversations(this.db, id),
      voiceUsedMs(this.db, id, startOfUtcDay(this.clock.now())),
    ]);
    return {
      memberCount: community.memberCount,
      activeSubscriptions: active,
      totalConversations: conversations,
      todayUsageMinutes: Math.floor(usage / 60_000),
      voiceModelStatus: lounge.voiceModelStatus,
      voiceModelError: lounge.voiceModelError,
    };
  }

  async subscribe(principal: Principal, id: string, trx?: Transaction): Promise<T.LoungeSubscription> {
    return inTransaction(this.db, trx, async (t) => {
      const { community, lounge } = await this.find(t, id);
      const price = Number(lounge.subscriptionPriceCents);
      if (price === 0 || community.creatorId === principal.user.id) throw noSubscription();
      const member = await this.ensureMember(t, id, principal.user.id);
      const now = this.clock.now();
      const paid = member.paidUntil && member.paidUntil > now;
      if (paid && member.subscriptionStatus === 'active') {
        if (member.renews) throw alreadySubscribed();
        const resumed = await updateSubscription(t, member.id, { renews: true });
        return this.subscriptionOf(resumed, price);
      }
      // A new paid month from now; the price in cents is the wallet's minor units (1 credit = 100 cents).
      const endsAt = await this.communities.payNewMonth(
        t,
        community,
        principal.user.id,
        price,
        now,
        `Lounge subscription: ${community.name}`,
      );
      const updated = await updateSubscription(t, member.id, {
        subscriptionStatus: 'active',
        paidUntil: endsAt,
        renews: true,
        monthlyPriceMinor: price,
      });
      return this.subscriptionOf(updated, price);
    });
  }

  async cancel(principal: Principal, id: string, trx?: Transaction): Promise<T.LoungeSubscription> {
    return inTransaction(this.db, trx, async (t) => {
      const { lounge } = await this.find(t, id);
      const member = await findMember(t, id, principal.user.id, { lock: 'update' });
      if (!member || member.subscriptionStatus === 'none') throw notSubscribed();
      const updated = await updateSubscription(t, member.id, { renews: false });
      return this.subscriptionOf(updated, Number(lounge.subscriptionPriceCents));
    });
  }

  /**
   * Voice for a lounge reply: subscribers (active or past due) always; others while their voice time today is
   * under the lounge's free minutes. The audio's real duration is recorded either way.
   */
  async voicePlan(community: Community, conversation: Conversation): Promise<VoicePlan | undefined> {
    const lounge = await Lounge.query(this.db).findById(community.id);
    if (!lounge) return undefined;
    const member = await findMember(this.db, community.id, conversation.customerId);
    const subscribed = member?.subscriptionStatus === 'active' || member?.subscriptionStatus === 'past_due';
    if (!subscribed) {
      const used = await voiceUsedMs(this.db, community.id, startOfUtcDay(this.clock.now()), conversation.customerId);
      if (used >= lounge.freeMinutesPerDay * 60_000) return undefined;
    }
    return {
      voice: lounge.voiceModelStatus === 'ready' ? (lounge.voiceModelId ?? undefined) : undefined,
      record: async (trx, durationMs) => {
        await recordVoiceUsage(trx, {
          loungeId: community.id,
          userId: conversation.customerId,
          conversationId: conversation.id,
          durationMs,
          createdAt: this.clock.now(),
        });
      },
    };
  }

  /** The lounge's monthly price in minor units (cents), read in the caller's transaction: the renewal job's. */
  async monthlyPrice(trx: Transaction, id: string): Promise<number> {
    return subscriptionPriceCents(trx, id);
  }

  /** Clones the voices of pending lounges (voice-cloning.ts); safe on every instance. Returns how many finished. */
  cloneVoices(): Promise<number> {
    return this.cloning.run();
  }

  private subscriptionOf(member: CommunityMember, price: number): T.LoungeSubscription {
    return {
      status: member.subscriptionStatus,
      priceCents: price,
      paidUntil: member.paidUntil?.toISOString() ?? null,
      renews: member.renews && member.subscriptionStatus !== 'none',
    };
  }

  private async ensureMember(t: Transaction, id: string, userId: string): Promise<CommunityMember> {
    const existing = await findMember(t, id, userId, { lock: 'update' });
    if (existing) return existing;
    await addMember(t, id, userId, 'member', this.clock.now());
    return (await findMember(t, id, userId, { lock: 'update' }))!;
  }

  /** An active lounge; an unknown id, another type of community and an archived lounge are all 404. */
  private async find(db: Db, id: string): Promise<{ community: Community; lounge: Lounge }> {
    const community = await findCommunity(db, id);
    if (community?.type !== 'lounge' || community.status === 'archived') throw loungeNotFound();
    const lounge = (await Lounge.query(db).findById(id))!;
    return { community, lounge };
  }
}
