// Official customer service: a customer's conversation with an official community, the AI-to-human
// handoff, the CS queue and staff, and business verification requests. The state machine:
//
//   state \ action   start        transfer (customer)   accept (staff)             resolve       customer writes
//   (none)           new: ai_active, or waiting_human in human_only communities
//   ai_active        200 as is    -> waiting_human      409 NOT_WAITING_HUMAN       -> resolved   stays
//   waiting_human    200 as is    200 as is             -> human_active (assigned)  -> resolved   stays
//   human_active     200 as is    409 HUMAN_IN_CONTROL  200 if assigned, else 409   -> resolved   stays
//                                                       ALREADY_ACCEPTED
//   resolved         200 as is    -> waiting_human      409 NOT_WAITING_HUMAN       200 as is     reopens: ai_active
//                                                                                                 (waiting_human in human_only)
// Transfers are refused in ai_only communities (409 HUMAN_HANDOFF_UNAVAILABLE). Every change is a row-locked
// update with a `system` message, so two staff accepting at once: one wins, the other gets 409.
import type { Knex } from 'knex';
import type { HandlerRequest } from '../../generated/server/index.js';
import type * as T from '../../generated/server/schemas.gen.js';
import { findUserProfile } from '../auth/index.js';
import {
  addMember,
  archived,
  communityNotFound,
  findCommunity,
  findMember,
  setMemberRole,
  type Community,
} from '../communities/index.js';
import {
  STAFF_ROLES,
  findConversation,
  notOfficial,
  type Conversation,
  type ConversationStatus,
  type ConversationsService,
} from '../conversations/index.js';
import type { Clock } from '../platform/clock.js';
import { isUniqueViolation } from '../platform/db-errors.js';
import type { Principal } from '../platform/principal.js';
import type { Rendered } from '../platform/rendered.js';
import { inTransaction, type Db, type Transaction } from '../platform/transactions.js';
import {
  alreadyAccepted,
  alreadyStaff,
  alreadyVerified,
  conversationNotInCommunity,
  handoffUnavailable,
  humanInControlTransfer,
  notCreator,
  notCreatorOrModerator,
  notCsStaff,
  notCustomerOfConversation,
  notWaitingHuman,
  resolveNotAssigned,
  userNotFound,
  verificationPending,
} from './errors.js';
import { insertVerificationRequest, renderCsQueuePage } from './queries.js';
import { decodeQueueCursor } from './queue-cursor.js';

export class OfficialService {
  constructor(
    private readonly db: Knex,
    private readonly clock: Clock,
    private readonly conversations: ConversationsService,
  ) {}

  async startChat(
    principal: Principal,
    communityId: string,
    trx?: Transaction,
  ): Promise<{ created: boolean; body: T.OfficialChatStarted }> {
    return inTransaction(this.db, trx, async (t) => {
      const community = await this.official(t, communityId);
      if (community.status === 'archived') throw archived();
      const initial: ConversationStatus = community.csMode === 'human_only' ? 'waiting_human' : 'ai_active';
      const { conversation, created } = await this.conversations.openFor(t, communityId, principal.user.id, initial);
      return { created, body: { conversationId: conversation.id, existing: !created, status: conversation.status } };
    });
  }

  async requestHuman(
    principal: Principal,
    communityId: string,
    conversationId: string | undefined,
    trx?: Transaction,
  ): Promise<T.TransferHumanResponse> {
    return inTransaction(this.db, trx, async (t) => {
      const community = await this.writable(t, communityId);
      const conversation = await this.customersConversation(t, principal, community, conversationId);
      if (community.csMode === 'ai_only') throw handoffUnavailable();
      if (conversation.status === 'human_active') throw humanInControlTransfer();
      if (conversation.status !== 'waiting_human') {
        await this.conversations.changeStatus(
          t,
          conversation,
          'waiting_human',
          null,
          'The customer asked for a human: the conversation is in the queue.',
        );
      }
      return { status: 'waiting_human' };
    });
  }

  async accept(
    principal: Principal,
    communityId: string,
    conversationId: string,
    trx?: Transaction,
  ): Promise<T.TransferAcceptResponse> {
    return inTransaction(this.db, trx, async (t) => {
      const community = await this.writable(t, communityId);
      // `for share`: a concurrent end of the caller's role (leaving, setMemberRole) waits for this accept and
      // then releases the conversation, or comes first and this accept is refused.
      await this.requireStaff(t, community, principal, { lock: 'share' });
      const conversation = await this.lockConversation(t, community, conversationId);
      if (conversation.status === 'human_active') {
        if (conversation.assignedCsId === principal.user.id) return { status: 'human_active' };
        throw alreadyAccepted();
      }
      if (conversation.status !== 'waiting_human') throw notWaitingHuman();
      await this.conversations.changeStatus(
        t,
        conversation,
        'human_active',
        principal.user.id,
        `${principal.user.name} accepted the conversation.`,
      );
      return { status: 'human_active' };
    });
  }

  async resolve(
    principal: Principal,
    communityId: string,
    conversationId: string,
    trx?: Transaction,
  ): Promise<T.ResolveResponse> {
    return inTransaction(this.db, trx, async (t) => {
      const community = await this.official(t, communityId);
      const conversation = await this.lockConversation(t, community, conversationId);
      const role = await this.roleOf(t, community, principal);
      const allowed =
        conversation.customerId === principal.user.id ||
        conversation.assignedCsId === principal.user.id ||
        role === 'creator' ||
        role === 'moderator';
      if (!allowed) {
        if (role === 'cs_agent') throw resolveNotAssigned();
        throw conversationNotInCommunity();
      }
      if (conversation.status !== 'resolved') {
        // assignedCsId is kept: a record of who handled it.
        await this.conversations.changeStatus(
          t,
          conversation,
          'resolved',
          conversation.assignedCsId,
          'The conversation was resolved.',
        );
      }
      return { status: 'resolved' };
    });
  }

  /** The real status for the customer and staff; `none` for anyone else (never revealing the conversation). */
  async status(principal: Principal, communityId: string, conversationId: string): Promise<T.CsStatus> {
    const community = await this.official(this.db, communityId);
    const conversation = await findConversation(this.db, { id: conversationId, communityId });
    if (!conversation) return { status: 'none' };
    if (conversation.customerId === principal.user.id) return { status: conversation.status };
    const role = await this.roleOf(this.db, community, principal);
    return { status: role && STAFF_ROLES.includes(role) ? conversation.status : 'none' };
  }

  /** A page of the queue (see queue-cursor.ts for the order, the cursor and the index behind them). */
  async queue(
    principal: Principal,
    communityId: string,
    query: HandlerRequest<'getCsQueue'>['query'],
  ): Promise<Rendered<T.CsQueue>> {
    const { status, limit } = query;
    const after = query.cursor === undefined ? undefined : decodeQueueCursor(query.cursor, status);
    const page = await renderCsQueuePage(this.db, communityId, principal.user.id, { status, limit, after });
    if (page.verdict === 'ok') return page.body;
    throw page.verdict === 'not_found'
      ? communityNotFound()
      : page.verdict === 'not_official'
        ? notOfficial()
        : notCsStaff();
  }

  async inviteCs(principal: Principal, communityId: string, userId: string, trx?: Transaction): Promise<void> {
    await inTransaction(this.db, trx, async (t) => {
      const community = await this.writable(t, communityId);
      const role = await this.roleOf(t, community, principal);
      if (role !== 'creator' && role !== 'moderator') throw notCreatorOrModerator();
      if (!(await findUserProfile(t, userId))) throw userNotFound();
      const member = await findMember(t, communityId, userId, { lock: 'update' });
      if (member?.role === 'creator' || member?.role === 'moderator') throw alreadyStaff();
      if (member?.role === 'cs_agent') return;
      // A member already (or added meanwhile by a concurrent request): made a CS agent.
      if (member || !(await addMember(t, communityId, userId, 'cs_agent', this.clock.now())))
        await setMemberRole(t, communityId, userId, 'cs_agent');
    });
  }

  async requestVerification(
    principal: Principal,
    communityId: string,
    input: T.VerificationRequestCreateRequest,
    trx?: Transaction,
  ): Promise<T.VerificationRequestCreated> {
    return inTransaction(this.db, trx, async (t) => {
      const community = await this.writable(t, communityId, { lock: true });
      if (community.creatorId !== principal.user.id) throw notCreator();
      if (community.isVerified) throw alreadyVerified();
      try {
        const requestId = await t.transaction((sp) =>
          insertVerificationRequest(sp, {
            communityId,
            requesterId: principal.user.id,
            businessName: input.businessName ?? null,
            businessRegistration: input.businessRegistration ?? null,
            documentsUrl: input.documentsUrl ?? null,
            createdAt: this.clock.now(),
          }),
        );
        return { requestId };
      } catch (error) {
        if (isUniqueViolation(error)) throw verificationPending();
        throw error;
      }
    });
  }

  /** An official community (404 unknown; 409 NOT_OFFICIAL for a club or lounge). */
  private async official(db: Db, id: string, options: { lock?: boolean } = {}): Promise<Community> {
    const community = await findCommunity(db, id, options);
    if (!community) throw communityNotFound();
    if (community.type !== 'official') throw notOfficial();
    return community;
  }

  private async writable(db: Db, id: string, options: { lock?: boolean } = {}): Promise<Community> {
    const community = await this.official(db, id, options);
    if (community.status === 'archived') throw archived();
    return community;
  }

  private async roleOf(db: Db, community: Community, principal: Principal, options: { lock?: 'share' } = {}) {
    return (await findMember(db, community.id, principal.user.id, options))?.role;
  }

  private async requireStaff(
    db: Db,
    community: Community,
    principal: Principal,
    options: { lock?: 'share' } = {},
  ): Promise<void> {
    const role = await this.roleOf(db, community, principal, options);
    if (!role || !STAFF_ROLES.includes(role)) throw notCsStaff();
  }

  private async lockConversation(
    trx: Transaction,
    community: Community,
    conversationId: string,
  ): Promise<Conversation> {
    const conversation = await findConversation(trx, { id: conversationId, communityId: community.id }, { lock: true });
    if (!conversation) throw conversationNotInCommunity();
    return conversation;
  }

  /** The caller's own conversation here: the one named (which must be theirs) or, without an id, theirs. */
  private async customersConversation(
    trx: Transaction,
    principal: Principal,
    community: Community,
    conversationId?: string,
  ): Promise<Conversation> {
    if (!conversationId) {
      const own = await findConversation(
        trx,
        { communityId: community.id, customerId: principal.user.id },
        { lock: true },
      );
      if (!own) throw conversationNotInCommunity();
      return own;
    }
    const conversation = await this.lockConversation(trx, community, conversationId);
    if (conversation.customerId === principal.user.id) return conversation;
    const role = await this.roleOf(trx, community, principal);
    if (role && STAFF_ROLES.includes(role)) throw notCustomerOfConversation();
    throw conversationNotInCommunity();
  }
}
