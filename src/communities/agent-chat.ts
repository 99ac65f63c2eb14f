// Chatting with a community agent (`chatWithCommunityAgent`), in two parts:
// - `start`, before the first byte: authorization and the price the caller agreed to, then the fee, the call
//   and the caller's message in one transaction, so every refusal is an ordinary problem response and the
//   charge is durable before any byte;
// - the reply (src/ai/reply-stream.ts), a task that goes on when the client disconnects. The call's money
//   (src/communities/agent-calls.ts) ends with it: settled in the transaction that stores the reply, or
//   refunded when there is none.
import type { Knex } from 'knex';
import type * as T from '../../generated/server/schemas.gen.js';
import type { StreamEvent } from '../../generated/server/index.js';
import type { AgentMessage, AgentProvider } from '../ai/agent-provider.js';
import { EventQueue, runReply, type ChatOrigin, type ReplyEvent } from '../ai/reply-stream.js';
import type { SpeechProvider } from '../ai/speech-provider.js';
import type { MediaService } from '../media/index.js';
import { inTransaction } from '../platform/transactions.js';
import { fromMinor, toMinor } from '../platform/money.js';
import type { Principal } from '../platform/principal.js';
import type { AgentCalls } from './agent-calls.js';
import { agentNotInCommunity, priceChanged } from './errors.js';
import { CommunityMessage, type Community } from './models.js';
import { communityAgent, recentMessages, type ChatListing, type MessageWithAuthor } from './queries.js';
import type { CommunitiesService } from './service.js';

const HISTORY = 20;

export interface AgentChatOptions {
  /** No first chunk, or no next chunk, within this long: the call fails with AGENT_TIMEOUT. */
  timeoutMs: number;
}

type ChatEvent = T.AgentChatMetaEvent | ReplyEvent;

interface Call {
  id: string;
  community: Community;
  listing: ChatListing;
  userMessageId: string;
}

export class CommunityAgentChat {
  constructor(
    private readonly db: Knex,
    private readonly communities: CommunitiesService,
    private readonly calls: AgentCalls,
    private readonly media: MediaService,
    private readonly agent: AgentProvider,
    private readonly speech: SpeechProvider | undefined,
    private readonly options: AgentChatOptions,
  ) {}

  /**
   * Everything before the first byte. Throws the documented 403/404/409/402; on success the stream's events.
   * The path to the first chunk is its benchmark row (time to first chunk): the checks are plain reads (in the
   * transaction they would take no lock either), so they go out together on the pool; the writes are one
   * transaction with one statement each (plain knex); the agent's history is read alongside that transaction.
   */
  async start(
    principal: Principal,
    communityId: string,
    input: T.CommunityAgentChatRequest,
    origin: ChatOrigin,
  ): Promise<AsyncIterable<StreamEvent<ChatEvent>>> {
    const userId = principal.user.id;
    const [{ community }, listing] = await Promise.all([
      this.communities.postable(this.db, principal, communityId),
      communityAgent(this.db, communityId, input.listingId),
    ]);
    if (!listing) throw agentNotInCommunity();
    if (input.expectedFee !== undefined && toMinor(input.expectedFee) !== Number(community.agentCallFeeMinor)) {
      throw priceChanged({ agentCallFee: fromMinor(community.agentCallFeeMinor) });
    }
    // The creator is never charged: the fee would be paid to themselves.
    const fee = community.creatorId === userId ? 0 : Number(community.agentCallFeeMinor);
    // The community's recent messages, newest first, read while the caller's message is being written.
    const earlier = recentMessages(this.db, communityId, HISTORY);
    earlier.catch(() => undefined); // awaited by the reply; unused when the transaction fails
    const opened = await inTransaction(this.db, undefined, (trx) =>
      this.calls.open(
        trx,
        {
          communityId,
          payerId: userId,
          listingId: listing.id,
          fee,
          description: `Agent call: ${listing.name} in ${community.name}`,
        },
        async () =>
          (
            await this.communities.appendMessage(trx, communityId, {
              userId,
              content: input.content,
              messageType: 'text',
            })
          ).id,
      ),
    );
    const call: Call = { ...opened, community, listing };

    const queue = new EventQueue<StreamEvent<ChatEvent>>();
    queue.push({ data: { type: 'meta', communityId, userMessageId: call.userMessageId } });
    const prepare = async () => ({
      model: call.listing.model,
      instructions: call.listing.instructions ?? `You are ${call.listing.name}.`,
      messages: this.conversation(call, await earlier, input.content),
    });
    this.calls.run(call.id, (signal) =>
      runReply(
        this.agent,
        prepare,
        this.options.timeoutMs,
        {
          signal,
          failed: async (failure) => {
            await this.calls.refund(call.id, failure);
          },
          store: async (text) => {
            const messageId = await inTransaction(this.db, undefined, (trx) =>
              this.calls.settle(
                trx,
                call.id,
                call.community.creatorId,
                async () =>
                  (
                    await this.communities.appendMessage(trx, call.community.id, {
                      agentListingId: call.listing.id,
                      agentName: call.listing.name,
                      content: text,
                      messageType: 'agent',
                    })
                  ).id,
              ),
            );
            return messageId ? { messageId } : { failure: 'INTERRUPTED' };
          },
          speak: this.speech
            ? (text, messageId) =>
                this.media.speak(
                  this.speech!,
                  text,
                  { timeoutMs: this.options.timeoutMs, baseUrl: origin.baseUrl },
                  async (trx, audioId) => {
                    await CommunityMessage.query(trx).findById(messageId).patch({ ttsAudioId: audioId });
                  },
                )
            : undefined,
        },
        queue as EventQueue<StreamEvent<ReplyEvent>>,
        (error) => origin.unexpected(error, { callId: call.id }),
      ),
    );
    return queue;
  }

  /**
   * The conversation the agent sees: the community's recent messages, oldest first, ending with the caller's
   * (`content`; dropped from `rows` if the read saw it committed); the agent's own replies as the assistant.
   */
  private conversation(call: Call, rows: MessageWithAuthor[], content: string): AgentMessage[] {
    const earlier = rows
      .filter((m) => m.id !== call.userMessageId)
      .slice(0, HISTORY - 1)
      .reverse();
    return [
      ...earlier.map(
        (m): AgentMessage =>
          m.agentListingId === call.listing.id
            ? { role: 'assistant', content: m.content }
            : {
                role: 'user',
                content:
                  m.messageType === 'agent'
                    ? `${m.agentName}: ${m.content}`
                    : m.userName
                      ? `${m.userName}: ${m.content}`
                      : m.content,
              },
      ),
      { role: 'user', content },
    ];
  }
}
