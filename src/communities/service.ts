// Communities: browsing, creation and settings, membership with its fees, agents and the shared message
// history. Money moves through WalletService in the transaction of what it pays for.
import type { Knex } from 'knex';
import type { HandlerRequest } from '../../generated/server/index.js';
import type * as T from '../../generated/server/schemas.gen.js';
import { findListing, listingSummaries, type AgentListingsService } from '../agents/index.js';
import { userProfiles } from '../auth/index.js';
import { audioUrl, audioUrlPrefix } from '../media/index.js';
import type { Clock } from '../platform/clock.js';
import { nextMessageTime } from '../platform/ordered-time.js';
import { isUniqueViolation } from '../platform/db-errors.js';
import { afterPlatformShare, fromMinor, toMinor, type Minor } from '../platform/money.js';
import type { PageQuery } from '../platform/pages.js';
import type { Principal } from '../platform/principal.js';
import type { Rendered } from '../platform/rendered.js';
import { inTransaction, type Db, type Transaction } from '../platform/transactions.js';
import type { Movement, WalletService } from '../wallet/index.js';
import {
  agentAlreadyAdded,
  agentNotInCommunity,
  alreadyMember,
  archived,
  communityNotFound,
  creatorCannotLeave,
  creatorRoleFixed,
  loungeFeesFixed,
  memberNotFound,
  notAMember,
  notAMemberConflict,
  notCreator,
  priceChanged,
  subscriptionInactive,
  typeChangeNotAllowed,
} from './errors.js';
import {
  Community,
  CommunityAgent,
  CommunityMember,
  type CommunityMessage,
  CommunityPaidMonth,
  type MessageType,
} from './models.js';
import { addMonths } from './months.js';
import {
  addAgentIfAbsent,
  type CommunityBrowseQuery,
  findCommunity,
  findMember,
  incrementMemberCount,
  insertMember,
  insertMessage,
  renderCommunity,
  renderCommunityBrowse,
  renderCommunityMessagePage,
  renderMemberPage,
  runningPaidMonth,
  setSubscription,
} from './queries.js';
import { toAgent, toCommunity, toMember, toMessage } from './wire.js';

export interface CommunityOptions {
  /** The platform's share of every fee, from 0 to 1; the creator receives the rest. */
  platformFeeShare: number;
}

/** A message to append to a community's history. */
export interface NewMessage {
  userId?: string | null;
  agentListingId?: string | null;
  agentName?: string | null;
  content: string;
  messageType: MessageType;
}

const FEE_FIELDS = ['joinFee', 'monthlyFee', 'agentCallFee'] as const;

/**
 * Called in the transaction in which a member stops being staff: leaving, or a role change to `member`
 * (customer service releases the conversations they hold).
 */
export type StaffExitListener = (trx: Transaction, communityId: string, userId: string) => Promise<void>;

/** A new community as the validator hands it over: the contract's defaults are already filled in. */
type CommunityInput = HandlerRequest<'createCommunity'>['body'];

/** What joining makes of a member's subscription, and whether the month that starts now is to be paid for it. */
interface NextMonth {
  charge: boolean;
  /** `paidUntil` is null until a charged month is paid (`subscribe`). */
  subscription: Pick<CommunityMember, 'subscriptionStatus' | 'paidUntil' | 'monthlyPriceMinor'>;
}

export class CommunitiesService {
  private readonly staffExitListeners: StaffExitListener[] = [];

  onStaffExit(listener: StaffExitListener): void {
    this.staffExitListeners.push(listener);
  }

  /** Whether a verification request (the official area's, which depends on this one) is pending: set by the composition root. */
  private verificationPending: (db: Db, communityId: string) => Promise<boolean> = () => {
    throw new Error('CommunitiesService: no verification check (checkVerificationWith) was given');
  };

  checkVerificationWith(pending: (db: Db, communityId: string) => Promise<boolean>): void {
    this.verificationPending = pending;
  }

  constructor(
    private readonly db: Knex,
    private readonly clock: Clock,
    private readonly wallet: WalletService,
    private readonly agents: AgentListingsService,
    private readonly options: CommunityOptions,
  ) {}

  /** Hot path: one statement rendering the body, in queries.ts. */
  async list(query: CommunityBrowseQuery): Promise<Rendered<T.CommunityBrowsePage>> {
    return renderCommunityBrowse(this.db, query);
  }

  async create(
    principal: Principal,
    input: CommunityInput & { type: 'official' | 'club' },
    trx?: Transaction,
  ): Promise<T.CommunityCreated> {
    return inTransaction(this.db, trx, async (t) => {
      if (input.defaultAgentListingId) await this.agents.usable(t, principal, input.defaultAgentListingId);
      return this.createRow(t, principal, input);
    });
  }

  /** The community row, its creator's membership and its default agent (lounges add their own row). */
  async createRow(
    t: Transaction,
    principal: Principal,
    input: Omit<CommunityInput, 'type'> & { type: 'official' | 'club' | 'lounge' },
  ): Promise<T.CommunityCreated> {
    const now = this.clock.now();
    const community = await Community.query(t).insertAndFetch({
      creatorId: principal.user.id,
      name: input.name.trim(),
      description: input.description ?? null,
      type: input.type,
      category: input.category ?? null,
      avatarUrl: input.avatarUrl ?? null,
      joinFeeMinor: toMinor(input.joinFee),
      monthlyFeeMinor: toMinor(input.monthlyFee),
      agentCallFeeMinor: toMinor(input.agentCallFee),
      csMode: input.csMode,
      defaultAgentListingId: input.defaultAgentListingId ?? null,
      memberCount: 1,
      createdAt: now,
      updatedAt: now,
    });
    await CommunityMember.query(t).insert({
      communityId: community.id,
      userId: principal.user.id,
      role: 'creator',
      subscriptionStatus: 'none',
      joinedAt: now,
    });
    if (input.defaultAgentListingId)
      await CommunityAgent.query(t).insert({
        communityId: community.id,
        listingId: input.defaultAgentListingId,
        addedAt: now,
      });
    return { id: community.id };
  }

  /** Hot path: one statement rendering the body, in queries.ts. */
  async get(id: string): Promise<Rendered<T.Community>> {
    const community = await renderCommunity(this.db, id);
    if (!community) throw communityNotFound();
    return community;
  }

  async update(
    principal: Principal,
    id: string,
    input: T.CommunityUpdateRequest,
    trx?: Transaction,
  ): Promise<T.Community> {
    return inTransaction(this.db, trx, async (t) => {
      const community = await this.find(t, id, { lock: true });
      if (community.creatorId !== principal.user.id) throw notCreator();
      if (community.status === 'archived') throw archived();
      if (community.type === 'lounge' && FEE_FIELDS.some((f) => (input[f] ?? 0) !== 0)) throw loungeFeesFixed();
      if (input.type !== undefined && input.type !== community.type) {
        if (community.type === 'lounge') throw typeChangeNotAllowed('it is a lounge');
        if (community.isVerified) throw typeChangeNotAllowed('it is verified');
        if (await this.verificationPending(t, id)) throw typeChangeNotAllowed('a verification request is pending');
      }
      if (input.defaultAgentListingId) {
        await this.agents.usable(t, principal, input.defaultAgentListingId);
        await addAgentIfAbsent(t, id, input.defaultAgentListingId, this.clock.now());
      }
      const patch: Partial<Community> = { updatedAt: this.clock.now() };
      if (input.name !== undefined) patch.name = input.name.trim();
      if (input.description !== undefined) patch.description = input.description;
      if (input.type !== undefined) patch.type = input.type;
      if (input.category !== undefined) patch.category = input.category;
      if (input.avatarUrl !== undefined) patch.avatarUrl = input.avatarUrl;
      if (input.csMode !== undefined) patch.csMode = input.csMode;
      if (input.defaultAgentListingId !== undefined) patch.defaultAgentListingId = input.defaultAgentListingId;
      if (input.joinFee !== undefined) patch.joinFeeMinor = toMinor(input.joinFee);
      if (input.monthlyFee !== undefined) patch.monthlyFeeMinor = toMinor(input.monthlyFee);
      if (input.agentCallFee !== undefined) patch.agentCallFeeMinor = toMinor(input.agentCallFee);
      return toCommunity(await Community.query(t).patchAndFetchById(id, patch));
    });
  }

  /** Soft delete: the community is archived, idempotently. */
  async archive(principal: Principal, id: string, trx?: Transaction): Promise<void> {
    await inTransaction(this.db, trx, async (t) => {
      const community = await this.find(t, id, { lock: true });
      if (community.creatorId !== principal.user.id) throw notCreator();
      if (community.status === 'archived') return;
      await Community.query(t).patchAndFetchById(id, { status: 'archived', updatedAt: this.clock.now() });
    });
  }

  /**
   * Joins and pays `joinFee` + `monthlyFee` in one transaction, at the prices the caller agreed to when they sent
   * them (otherwise 409 PRICE_CHANGED, nothing charged). The membership row is inserted first: a concurrent join
   * by the same user waits on its unique key and then gets 409, so it is never charged. A member whose
   * subscription was cancelled renews it by joining again (monthly fee only).
   */
  // Hot path (its benchmark row: paid join): plain knex (queries.ts), the same statements Objection would send.
  async join(principal: Principal, id: string, agreed: T.JoinCommunityRequest = {}, trx?: Transaction): Promise<void> {
    await inTransaction(this.db, trx, async (t) => {
      const community = await this.find(t, id);
      if (community.status === 'archived') throw archived();
      const userId = principal.user.id;
      const now = this.clock.now();
      const existing = await findMember(t, id, userId, { lock: 'update' });
      if (existing) {
        if (existing.subscriptionStatus !== 'cancelled') throw alreadyMember();
        assertAgreedPrices(community, { expectedMonthlyFee: agreed.expectedMonthlyFee });
        await this.subscribe(t, community, userId, await this.nextMonth(t, community, userId, now), now);
        return;
      }
      assertAgreedPrices(community, agreed);
      try {
        await t.transaction(async (sp) => {
          await insertMember(sp, id, userId, now);
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw alreadyMember();
        throw error;
      }
      // The member's own rows first; then the rows every join shares (the creator's wallet, the community's
      // count), whose locks serialize the joins of one community until COMMIT: taken last, held for the fewest
      // statements.
      const month = await this.nextMonth(t, community, userId, now);
      if (!month.charge) await setSubscription(t, id, userId, month.subscription);
      const joinFee = Number(community.joinFeeMinor);
      if (joinFee > 0)
        await this.wallet.apply(
          this.feeMovements(community, userId, joinFee, 'join_fee', `Join fee: ${community.name}`),
          t,
        );
      if (month.charge) await this.subscribe(t, community, userId, month, now);
      await incrementMemberCount(t, id);
    });
  }

  /**
   * The member's subscription after joining: a month they already paid (before leaving) that is still running
   * resumes without a charge; otherwise the month that starts now is to be paid (`charge`), or nothing when there
   * is no fee. Either way their monthly price, the most a renewal charges them, is the current `monthlyFee`.
   * Reads only: `subscribe` pays and records it.
   */
  private async nextMonth(t: Transaction, community: Community, userId: string, now: Date): Promise<NextMonth> {
    const fee = Number(community.monthlyFeeMinor);
    // A month paid before leaving (a community's monthly fee, a lounge's subscription) resumes, free.
    const running = await runningPaidMonth(t, community.id, userId, now);
    if (running)
      return {
        charge: false,
        subscription: { subscriptionStatus: 'active', paidUntil: running.endsAt, monthlyPriceMinor: fee },
      };
    if (fee === 0)
      return { charge: false, subscription: { subscriptionStatus: 'none', paidUntil: null, monthlyPriceMinor: null } };
    return { charge: true, subscription: { subscriptionStatus: 'active', paidUntil: null, monthlyPriceMinor: fee } };
  }

  /** Sets the member's subscription to `month`, first paying the month that starts now when it is to be paid. */
  private async subscribe(
    t: Transaction,
    community: Community,
    userId: string,
    month: NextMonth,
    now: Date,
  ): Promise<void> {
    const fee = Number(community.monthlyFeeMinor);
    const paidUntil = month.charge
      ? await this.payNewMonth(t, community, userId, fee, now, `Monthly fee: ${community.name}`)
      : month.subscription.paidUntil;
    await setSubscription(t, community.id, userId, { ...month.subscription, paidUntil });
  }

  /**
   * Records a paid month from `now` (its natural key: community, member, start) and charges `fee` for it, paid
   * to the creator; returns when the month ends. Used for monthly fees and lounge subscriptions.
   */
  async payNewMonth(
    t: Transaction,
    community: Community,
    userId: string,
    fee: Minor,
    now: Date,
    description: string,
  ): Promise<Date> {
    const endsAt = addMonths(now, 1);
    await CommunityPaidMonth.query(t).insert({ communityId: community.id, userId, startsAt: now, endsAt });
    await this.wallet.apply(this.feeMovements(community, userId, fee, 'monthly_fee', description), t);
    return endsAt;
  }

  /** The payer's charge and the creator's income (less the platform's share) for one fee. */
  feeMovements(
    community: Community,
    payerId: string,
    fee: Minor,
    kind: 'join_fee' | 'monthly_fee' | 'agent_call_fee',
    description: string,
    reference?: { type: string; id: string },
  ): Movement[] {
    const ref = reference ?? { type: 'community', id: community.id };
    const movements: Movement[] = [{ userId: payerId, amount: -fee, kind, description, reference: ref }];
    const income = afterPlatformShare(fee, this.options.platformFeeShare);
    if (income > 0)
      movements.push({
        userId: community.creatorId,
        amount: income,
        kind: 'fee_income',
        description: `${description} (paid by a member)`,
        reference: ref,
      });
    return movements;
  }

  async leave(principal: Principal, id: string, trx?: Transaction): Promise<void> {
    await inTransaction(this.db, trx, async (t) => {
      await this.find(t, id);
      const member = await CommunityMember.query(t).findOne({ communityId: id, userId: principal.user.id }).forUpdate();
      if (!member) throw notAMemberConflict();
      if (member.role === 'creator') throw creatorCannotLeave();
      for (const listener of this.staffExitListeners) await listener(t, id, principal.user.id);
      await CommunityMember.query(t).deleteById(member.id);
      await Community.query(t).findById(id).decrement('memberCount', 1);
    });
  }

  /** Hot path: one statement rendering the body (no body when the community does not exist), in queries.ts. */
  async members(id: string, query: PageQuery): Promise<Rendered<T.CommunityMemberList>> {
    const page = await renderMemberPage(this.db, id, query);
    if (!page) throw communityNotFound();
    return page;
  }

  /**
   * The creator appoints a moderator (`moderator`) or ends a moderator's or CS agent's role (`member`).
   * The member's row lock serializes it: a concurrent accept of a transfer by them (which reads their role
   * `for share`) is either released here or refused. The community row is not locked: an accept's second
   * update of its conversation re-checks the conversation's foreign key to it (`for key share`), which
   * would deadlock against a `for update` held here while waiting for the member row.
   */
  async setMemberRole(
    principal: Principal,
    id: string,
    userId: string,
    role: T.CommunityMemberUpdateRequest['role'],
    trx?: Transaction,
  ): Promise<T.CommunityMember> {
    return inTransaction(this.db, trx, async (t) => {
      await this.writableByCreator(t, principal, id, { lock: false });
      const member = await CommunityMember.query(t).findOne({ communityId: id, userId }).forUpdate();
      if (!member) throw memberNotFound();
      if (member.role === 'creator') throw creatorRoleFixed();
      if (member.role !== role) {
        if (role === 'member') for (const listener of this.staffExitListeners) await listener(t, id, userId);
        await CommunityMember.query(t).findById(member.id).patch({ role });
      }
      const [row] = await this.withProfiles(t).where('m.id', member.id);
      return toMember(row!);
    });
  }

  /** Members with their public profile. */
  private withProfiles(db: Db) {
    return CommunityMember.query(db)
      .alias('m')
      .join(userProfiles(db).as('u'), 'u.id', 'm.userId')
      .select('m.*', 'u.name as userName', 'u.image as userImage')
      .castTo<Array<CommunityMember & { userName: string; userImage: string | null }>>();
  }

  async agentList(id: string, { page, limit }: PageQuery): Promise<T.CommunityAgentList> {
    await this.find(this.db, id);
    const [rows, total] = await Promise.all([
      CommunityAgent.query(this.db)
        .alias('a')
        .join(listingSummaries(this.db).as('l'), 'l.id', 'a.listingId')
        .where('a.communityId', id)
        .select('a.*', 'l.name as agentName', 'l.avatarUrl', 'l.description', 'l.model')
        .orderBy([
          { column: 'a.addedAt', order: 'asc' },
          { column: 'a.id', order: 'asc' },
        ])
        .limit(limit)
        .offset((page - 1) * limit),
      CommunityAgent.query(this.db).where('communityId', id).resultSize(),
    ]);
    return {
      agents: (rows as Parameters<typeof toAgent>[0][]).map(toAgent),
      total,
      page,
      totalPages: Math.ceil(total / limit),
    };
  }

  async addAgent(principal: Principal, id: string, listingId: string, trx?: Transaction): Promise<void> {
    await inTransaction(this.db, trx, async (t) => {
      const community = await this.writableByCreator(t, principal, id);
      const listing = await this.agents.usable(t, principal, listingId);
      if (!(await addAgentIfAbsent(t, id, listingId, this.clock.now()))) throw agentAlreadyAdded();
      await this.appendMessage(t, community.id, {
        messageType: 'system',
        content: `${listing.name} joined the community as an agent.`,
      });
    });
  }

  async removeAgent(principal: Principal, id: string, listingId: string, trx?: Transaction): Promise<void> {
    await inTransaction(this.db, trx, async (t) => {
      const community = await this.writableByCreator(t, principal, id);
      const removed = await CommunityAgent.query(t).where({ communityId: id, listingId }).delete().returning('id');
      if ((removed as unknown[]).length === 0) throw agentNotInCommunity();
      if (community.defaultAgentListingId === listingId)
        await Community.query(t).findById(id).patch({ defaultAgentListingId: null, updatedAt: this.clock.now() });
      const name = (await findListing(t, listingId))?.name ?? 'An agent';
      await this.appendMessage(t, id, {
        messageType: 'system',
        content: `${name} was removed from the community's agents.`,
      });
    });
  }

  async mine(principal: Principal, { page, limit }: PageQuery): Promise<T.CommunityList> {
    const created = Community.query(this.db).where('creatorId', principal.user.id);
    const [rows, total] = await Promise.all([
      created
        .clone()
        .orderBy([
          { column: 'createdAt', order: 'desc' },
          { column: 'id', order: 'desc' },
        ])
        .limit(limit)
        .offset((page - 1) * limit),
      created.clone().resultSize(),
    ]);
    return { communities: rows.map(toCommunity), total, page, totalPages: Math.ceil(total / limit) };
  }

  async joined(principal: Principal, { page, limit }: PageQuery): Promise<T.CommunityList> {
    const [rows, total] = await Promise.all([
      Community.query(this.db)
        .alias('c')
        .join('community_members as m', 'm.communityId', 'c.id')
        .where('m.userId', principal.user.id)
        .select('c.*')
        .orderBy([
          { column: 'm.joinedAt', order: 'desc' },
          { column: 'c.id', order: 'desc' },
        ])
        .limit(limit)
        .offset((page - 1) * limit),
      CommunityMember.query(this.db).where('userId', principal.user.id).resultSize(),
    ]);
    return { communities: rows.map(toCommunity), total, page, totalPages: Math.ceil(total / limit) };
  }

  /** Hot path: one statement checks the community and the membership and renders the body (queries.ts). */
  async messages(
    principal: Principal,
    id: string,
    query: HandlerRequest<'listCommunityMessages'>['query'],
    baseUrl: string,
  ): Promise<Rendered<T.CommunityMessageList>> {
    const page = await renderCommunityMessagePage(this.db, id, principal.user.id, query, audioUrlPrefix(baseUrl));
    if (page.verdict !== 'ok') throw page.verdict === 'not_found' ? communityNotFound() : notAMember();
    return page.body;
  }

  async send(
    principal: Principal,
    id: string,
    content: string,
    baseUrl: string,
    trx?: Transaction,
  ): Promise<T.CommunityMessage> {
    return inTransaction(this.db, trx, async (t) => {
      await this.postable(t, principal, id);
      const message = await this.appendMessage(t, id, { userId: principal.user.id, content, messageType: 'text' });
      return toMessage(
        { ...message, userName: principal.user.name, userImage: principal.user.image },
        audioUrl(baseUrl),
      );
    });
  }

  /**
   * Appends to the history. `createdAt` is strictly increasing within a community (the cursor of
   * `listCommunityMessages` relies on it), from a row-locked counter on the community. Hot path (every message
   * and agent call; its benchmark row: the agent chat's first chunk): plain knex, one insert ... returning *
   * (queries.ts, insertMessage).
   */
  async appendMessage(trx: Transaction, communityId: string, message: NewMessage): Promise<CommunityMessage> {
    const createdAt = await nextMessageTime(trx, 'communities', communityId, this.clock.now());
    return insertMessage(trx, {
      communityId,
      userId: message.userId ?? null,
      agentListingId: message.agentListingId ?? null,
      agentName: message.agentName ?? null,
      content: message.content,
      messageType: message.messageType,
      createdAt,
    });
  }

  /**
   * The community for a member who may post: not archived, a member, subscription not cancelled. The two
   * reads go out together (on `db` a connection each; in a transaction one after the other), checked in order.
   */
  async postable(db: Db, principal: Principal, id: string): Promise<{ community: Community; member: CommunityMember }> {
    const [community, member] = await Promise.all([findCommunity(db, id), findMember(db, id, principal.user.id)]);
    if (!community) throw communityNotFound();
    if (!member) throw notAMember();
    if (member.subscriptionStatus === 'cancelled') throw subscriptionInactive();
    if (community.status === 'archived') throw archived();
    return { community, member };
  }

  async find(db: Db, id: string, options: { lock?: boolean } = {}): Promise<Community> {
    const community = await findCommunity(db, id, options);
    if (!community) throw communityNotFound();
    return community;
  }

  private async writableByCreator(
    t: Transaction,
    principal: Principal,
    id: string,
    options: { lock: boolean } = { lock: true },
  ): Promise<Community> {
    const community = await this.find(t, id, options);
    if (community.creatorId !== principal.user.id) throw notCreator();
    if (community.status === 'archived') throw archived();
    return community;
  }
}

/** 409 PRICE_CHANGED, with both current prices, when a price the caller agreed to is not the current one. */
function assertAgreedPrices(community: Community, agreed: T.JoinCommunityRequest): void {
  const differs = (expected: number | undefined, current: string | number) =>
    expected !== undefined && toMinor(expected) !== Number(current);
  if (
    differs(agreed.expectedJoinFee, community.joinFeeMinor) ||
    differs(agreed.expectedMonthlyFee, community.monthlyFeeMinor)
  ) {
    throw priceChanged({
      joinFee: fromMinor(community.joinFeeMinor),
      monthlyFee: fromMinor(community.monthlyFeeMinor),
    });
  }
}
