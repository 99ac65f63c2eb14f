// Conversations (customer service in official communities, and lounges): who may read and write, the
// message history, and the status changes that messages cause. Exactly one party is in control: the AI while
// `ai_active`, a human while `human_active`; customer service itself (transfer, accept, resolve) is in
// src/official/service.ts and uses `changeStatus` here.
import type { Knex } from 'knex';
import type { HandlerRequest } from '../../generated/server/index.js';
import type * as T from '../../generated/server/schemas.gen.js';
import { archived, type Community } from '../communities/index.js';
import { audioUrl, audioUrlPrefix } from '../media/index.js';
import type { Clock } from '../platform/clock.js';
import { nextMessageTime } from '../platform/ordered-time.js';
import type { Principal } from '../platform/principal.js';
import type { Rendered } from '../platform/rendered.js';
import { inTransaction, type Db, type Transaction } from '../platform/transactions.js';
import { conversationNotFound, notAssigned, notInHumanControl, notOfficial } from './errors.js';
import { Conversation, ConversationMessage, type ConversationStatus, type SenderKind } from './models.js';
import {
  conversationAccess,
  insertConversationIfAbsent,
  renderConversationMessagePage,
  type Access,
} from './queries.js';
import { toConversationMessage } from './wire.js';

export interface NewConversationMessage {
  senderKind: SenderKind;
  senderId?: string | null;
  agentListingId?: string | null;
  content: string;
}

/** A conversation is read-only once its community is archived, or is no longer official (became a club). */
export function assertWritable(community: Community): void {
  if (community.status === 'archived') throw archived();
  if (community.type === 'club') throw notOfficial();
}

/** The status a conversation reopens to when its customer writes again after `resolved`. */
export const reopenedStatus = (community: Community): ConversationStatus =>
  community.type === 'official' && community.csMode === 'human_only' ? 'waiting_human' : 'ai_active';

export class ConversationsService {
  constructor(
    private readonly db: Knex,
    private readonly clock: Clock,
  ) {}

  /** The caller's view of a conversation; row-locked when `lock` (for status changes). */
  async access(db: Db, principal: Principal, id: string, options: { lock?: boolean } = {}): Promise<Access> {
    const access = await conversationAccess(db, principal.user.id, id, options);
    if (!access) throw conversationNotFound();
    return access;
  }

  /** Customer or staff; anyone else gets 404, as for an unknown id. */
  async readable(db: Db, principal: Principal, id: string, options: { lock?: boolean } = {}): Promise<Access> {
    const access = await this.access(db, principal, id, options);
    if (!access.as) throw conversationNotFound();
    return access;
  }

  async messages(
    principal: Principal,
    id: string,
    query: HandlerRequest<'listConversationMessages'>['query'],
    baseUrl: string,
  ): Promise<Rendered<T.ConversationMessageList>> {
    const page = await renderConversationMessagePage(this.db, id, principal.user.id, query, audioUrlPrefix(baseUrl));
    if (page.verdict !== 'ok') throw conversationNotFound();
    return page.body;
  }

  /**
   * A person's message. The customer may always write (after `resolved` it reopens the conversation); staff
   * only while `human_active`, and then only the assigned CS agent, the creator and moderators.
   */
  async send(
    principal: Principal,
    id: string,
    content: string,
    baseUrl: string,
    trx?: Transaction,
  ): Promise<T.ConversationMessage> {
    return inTransaction(this.db, trx, async (t) => {
      const { conversation, community, as } = await this.readable(t, principal, id, { lock: true });
      assertWritable(community);
      if (as === 'customer') {
        if (conversation.status === 'resolved')
          await this.changeStatus(
            t,
            conversation,
            reopenedStatus(community),
            null,
            'The customer wrote again: the conversation is reopened.',
          );
        return toConversationMessage(
          await this.append(t, id, { senderKind: 'customer', senderId: principal.user.id, content }),
          audioUrl(baseUrl),
        );
      }
      if (conversation.status !== 'human_active') throw notInHumanControl();
      if (as === 'cs_agent' && conversation.assignedCsId !== principal.user.id) throw notAssigned();
      return toConversationMessage(
        await this.append(t, id, { senderKind: 'cs_agent', senderId: principal.user.id, content }),
        audioUrl(baseUrl),
      );
    });
  }

  /** Moves the conversation to `status` (and `assignedCsId`), with a `system` message saying why. */
  async changeStatus(
    trx: Transaction,
    conversation: Conversation,
    status: ConversationStatus,
    assignedCsId: string | null,
    notice: string,
  ): Promise<void> {
    await Conversation.query(trx)
      .findById(conversation.id)
      .patch({ status, assignedCsId, updatedAt: this.clock.now() });
    conversation.status = status;
    conversation.assignedCsId = assignedCsId;
    await this.append(trx, conversation.id, { senderKind: 'system', content: notice });
  }

  /** Appends a message; `createdAt` is strictly increasing within a conversation (the cursor relies on it). */
  async append(
    trx: Transaction,
    conversationId: string,
    message: NewConversationMessage,
  ): Promise<ConversationMessage> {
    const createdAt = await nextMessageTime(trx, 'conversations', conversationId, this.clock.now());
    return ConversationMessage.query(trx).insertAndFetch({
      conversationId,
      senderKind: message.senderKind,
      senderId: message.senderId ?? null,
      agentListingId: message.agentListingId ?? null,
      content: message.content,
      createdAt,
    });
  }

  /** The customer's conversation with a community, created the first time (concurrent first calls create one). */
  async openFor(
    trx: Transaction,
    communityId: string,
    customerId: string,
    initial: ConversationStatus,
  ): Promise<{ conversation: Conversation; created: boolean }> {
    const now = this.clock.now();
    const created = await insertConversationIfAbsent(trx, communityId, customerId, initial, now);
    const conversation = (await Conversation.query(trx).findOne({ communityId, customerId }))!;
    return { conversation, created };
  }

  /** A CS agent who leaves the community gives up the conversations they hold: back to the queue. */
  async releaseAssignments(trx: Transaction, communityId: string, csUserId: string): Promise<void> {
    const held = await Conversation.query(trx)
      .where({ communityId, assignedCsId: csUserId, status: 'human_active' })
      .forUpdate();
    for (const conversation of held)
      await this.changeStatus(
        trx,
        conversation,
        'waiting_human',
        null,
        'The CS agent left: the conversation is back in the queue.',
      );
  }
}
