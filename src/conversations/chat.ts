// Chatting with the AI in a conversation (`chatInConversation`): the checks before the first byte, in the
// contract's order, then the reply (src/ai/reply-stream.ts). The AI answers only while `ai_active`: the
// status is re-read while the reply streams, and the reply is stored only under the conversation's row lock
// with the status still `ai_active`, so a human who takes over meanwhile always wins.
import type { Knex } from 'knex';
import type { StreamEvent } from '../../generated/server/index.js';
import type * as T from '../../generated/server/schemas.gen.js';
import type { AgentMessage, AgentProvider } from '../ai/agent-provider.js';
import { EventQueue, runReply, type ChatOrigin, type ReplyEvent } from '../ai/reply-stream.js';
import type { SpeechProvider } from '../ai/speech-provider.js';
import { findListing } from '../agents/index.js';
import type { Community } from '../communities/index.js';
import type { MediaService } from '../media/index.js';
import type { Principal } from '../platform/principal.js';
import { inTransaction, type Transaction } from '../platform/transactions.js';
import { aiUnavailable, conversationNotFound, humanInControl, notCustomer } from './errors.js';
import { Conversation, ConversationMessage } from './models.js';
import { assertWritable, type ConversationsService } from './service.js';

const HISTORY = 20;
/** How often the streaming reply re-reads who is in control. */
const CONTROL_CHECK_MS = 200;

type ChatEvent = T.ConversationChatMetaEvent | ReplyEvent;

/** Whether and how a reply gets audio: decided per reply (lounges limit voice time for non-subscribers). */
export interface VoicePlan {
  voice?: string;
  /** Records the audio's real duration (lounge voice time). */
  record?(trx: Transaction, durationMs: number): Promise<void>;
}

export type VoicePolicy = (community: Community, conversation: Conversation) => Promise<VoicePlan | undefined>;

export class ConversationChat {
  constructor(
    private readonly db: Knex,
    private readonly conversations: ConversationsService,
    private readonly media: MediaService,
    private readonly agent: AgentProvider,
    private readonly speech: SpeechProvider | undefined,
    private readonly options: { timeoutMs: number; voicePolicy: VoicePolicy },
  ) {}

  async start(
    principal: Principal,
    id: string,
    content: string,
    origin: ChatOrigin,
  ): Promise<AsyncIterable<StreamEvent<ChatEvent>>> {
    const started = await inTransaction(this.db, undefined, async (trx) => {
      const { conversation, community, as } = await this.conversations.access(trx, principal, id, { lock: true });
      if (!as) throw conversationNotFound();
      if (as !== 'customer') throw notCustomer();
      assertWritable(community);
      const listing =
        community.defaultAgentListingId && (community.type === 'lounge' || community.csMode !== 'human_only')
          ? await findListing(trx, community.defaultAgentListingId)
          : undefined;
      if (!listing) throw aiUnavailable();
      if (conversation.status === 'waiting_human' || conversation.status === 'human_active') throw humanInControl();
      if (conversation.status === 'resolved')
        await this.conversations.changeStatus(
          trx,
          conversation,
          'ai_active',
          null,
          'The customer wrote again: the conversation is reopened.',
        );
      const message = await this.conversations.append(trx, id, {
        senderKind: 'customer',
        senderId: principal.user.id,
        content,
      });
      return { conversation, community, listing, userMessageId: message.id };
    });

    const { conversation, community, listing } = started;
    const queue = new EventQueue<StreamEvent<ChatEvent>>();
    queue.push({ data: { type: 'meta', conversationId: id, userMessageId: started.userMessageId } });
    let checkedAt = 0;
    const inControl = async () =>
      (await Conversation.query(this.db).findById(id).select('status'))?.status === 'ai_active';
    void runReply(
      this.agent,
      async () => ({
        model: listing.model,
        instructions: listing.instructions ?? `You are ${listing.name}.`,
        messages: await this.history(id),
      }),
      this.options.timeoutMs,
      {
        stillAllowed: async () => {
          if (Date.now() - checkedAt < CONTROL_CHECK_MS) return true;
          checkedAt = Date.now();
          return inControl();
        },
        store: (text) =>
          inTransaction(this.db, undefined, async (trx) => {
            const current = await Conversation.query(trx).findById(id).forUpdate();
            if (current?.status !== 'ai_active') return { failure: 'HUMAN_IN_CONTROL' as const };
            return {
              messageId: (
                await this.conversations.append(trx, id, {
                  senderKind: 'ai',
                  agentListingId: listing.id,
                  content: text,
                })
              ).id,
            };
          }),
        speak: this.speech
          ? async (text, messageId) => {
              const plan = await this.options.voicePolicy(community, conversation);
              if (!plan) return undefined;
              return this.media.speak(
                this.speech!,
                text,
                { voice: plan.voice, timeoutMs: this.options.timeoutMs, baseUrl: origin.baseUrl },
                async (trx, audioId, durationMs) => {
                  await ConversationMessage.query(trx).findById(messageId).patch({ ttsAudioId: audioId });
                  await plan.record?.(trx, durationMs);
                },
              );
            }
          : undefined,
      },
      queue as EventQueue<StreamEvent<ReplyEvent>>,
      (error) => origin.unexpected(error, { conversationId: id }),
    );
    return queue;
  }

  /** What the AI sees: the conversation's recent messages, oldest first. */
  private async history(id: string): Promise<AgentMessage[]> {
    const rows = await ConversationMessage.query(this.db)
      .where('conversationId', id)
      .whereNot('senderKind', 'system')
      .orderBy('createdAt', 'desc')
      .limit(HISTORY);
    return rows
      .reverse()
      .map((m) =>
        m.senderKind === 'ai'
          ? { role: 'assistant', content: m.content }
          : { role: 'user', content: m.senderKind === 'cs_agent' ? `(CS staff) ${m.content}` : m.content },
      );
  }
}
