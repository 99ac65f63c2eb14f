// The bare server's agent chat (`POST /api/communities/{id}/agent-chat`, a free agent: call fee 0): the SQL
// statements CommunityAgentChat.start and its reply run (checked before every run: update this file when src/
// changes them), in knex alone, with the same concurrency (the checks together on the pool, the history read
// alongside the transaction), and the same Server-Sent Events from the same agent provider (the platform's
// createAgentProvider: local, or OpenAI-compatible). No contract layer, no event queue, no reply timeouts: the
// provider's deltas are written as they come.
import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type Koa from 'koa';
import type { Knex } from 'knex';
import { listingSummaries } from '../../src/agents/index.js';
import type { AgentMessage, AgentProvider } from '../../src/ai/agent-provider.js';
import { userProfiles } from '../../src/auth/index.js';

const HISTORY = 20;
const CHAT_PATH = /^\/api\/communities\/([^/]+)\/agent-chat$/;

interface Listing {
  id: string;
  name: string;
  model: string;
  instructions: string | null;
}
interface HistoryRow {
  id: string;
  agentListingId: string | null;
  agentName: string | null;
  content: string;
  messageType: string;
  userName: string | null;
}

export class BareAgentChat {
  constructor(
    private readonly db: Knex,
    private readonly agent: AgentProvider,
  ) {}

  /** Answers the request when it is an agent chat (true), else leaves it (false). */
  async route(koa: Koa.Context, userId: string | undefined, readBody: () => Promise<unknown>): Promise<boolean> {
    const match = koa.method === 'POST' ? CHAT_PATH.exec(koa.path) : null;
    if (!match) return false;
    if (!userId) {
      koa.status = 401;
      return true;
    }
    const { listingId, content } = (await readBody()) as { listingId: string; content: string };
    await this.chat(koa, userId, match[1]!, listingId, content);
    return true;
  }

  private async chat(
    koa: Koa.Context,
    userId: string,
    communityId: string,
    listingId: string,
    content: string,
  ): Promise<void> {
    const [[community], [member], [listing]] = (await Promise.all([
      this.db('communities').select('communities.*').where('communities.id', communityId),
      this.db('community_members').select('community_members.*').where({ communityId, userId }),
      this.db('community_agents as a')
        .join(listingSummaries(this.db).as('l'), 'l.id', 'a.listingId')
        .where({ 'a.communityId': communityId, 'a.listingId': listingId })
        .select('l.id', 'l.name', 'l.model', 'l.instructions'),
    ])) as [
      Array<{ creatorId: string; status: string; agentCallFeeMinor: string }>,
      Array<{ subscriptionStatus: string }>,
      Listing[],
    ];
    if (!community) {
      koa.status = 404;
      return;
    }
    if (!member) {
      koa.status = 403;
      return;
    }
    if (member.subscriptionStatus === 'cancelled' || community.status === 'archived' || !listing) {
      koa.status = 409;
      return;
    }
    const fee = community.creatorId === userId ? 0 : Number(community.agentCallFeeMinor);
    if (fee > 0) throw new Error('the bare agent chat mirrors free calls only');

    // A promise, run once (a query builder runs again on every then / catch).
    const earlier = Promise.resolve(
      this.db('community_messages as m')
        .leftJoin(userProfiles(this.db).as('u'), 'u.id', 'm.userId')
        .where('m.communityId', communityId)
        .whereNot('m.messageType', 'system')
        .orderBy('m.createdAt', 'desc')
        .limit(HISTORY)
        .select('m.*', 'u.name as userName') as Promise<HistoryRow[]>,
    );
    earlier.catch(() => undefined);
    const callId = randomUUID();
    const userMessageId = await this.db.transaction(async (t) => {
      const { id } = await this.append(t, communityId, {
        userId,
        agentListingId: null,
        agentName: null,
        content,
        messageType: 'text',
      });
      await t('agent_calls').insert({
        id: callId,
        communityId,
        userId,
        listingId: listing.id,
        feeMinor: fee,
        status: 'in_progress',
        userMessageId: id,
        heartbeatAt: t.fn.now(),
        createdAt: new Date(),
      });
      return id;
    });

    const out = new PassThrough();
    koa.status = 200;
    koa.set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    koa.body = out;
    koa.req.socket.setNoDelay(true);
    const send = (data: { type: string; [field: string]: unknown }) =>
      out.write(`event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`);
    send({ type: 'meta', communityId, userMessageId });

    void (async () => {
      try {
        const rows = (await earlier)
          .filter((m) => m.id !== userMessageId)
          .slice(0, HISTORY - 1)
          .reverse();
        const messages: AgentMessage[] = [
          ...rows.map(
            (m): AgentMessage =>
              m.agentListingId === listing.id
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
        let text = '';
        for await (const delta of this.agent.stream({
          model: listing.model,
          instructions: listing.instructions ?? `You are ${listing.name}.`,
          messages,
        })) {
          text += delta;
          send({ type: 'chunk', content: delta });
        }
        // AgentCalls.settle: the call's row locked with the names its ledger entries quote (a free call pays
        // nobody), the reply, the call settled.
        const agentMessageId = await this.db.transaction(async (t) => {
          await t('agent_calls as a')
            .join('communities as c', 'c.id', 'a.communityId')
            .leftJoin(listingSummaries(t).as('l'), 'l.id', 'a.listingId')
            .where('a.id', callId)
            .select('a.id', 'a.userId', 'a.feeMinor', 'a.status', 'c.name as communityName', 'l.name as listingName')
            .forUpdate('a');
          const { id } = await this.append(t, communityId, {
            userId: null,
            agentListingId: listing.id,
            agentName: listing.name,
            content: text,
            messageType: 'agent',
          });
          await t('agent_calls')
            .where('id', callId)
            .update({ status: 'settled', replyMessageId: id, endedAt: new Date() });
          return id;
        });
        send({ type: 'done', agentMessageId });
      } catch (error) {
        console.error(`bare agent chat: ${(error as Error).message}`);
      } finally {
        out.end();
      }
    })();
  }

  /** CommunitiesService.appendMessage: the row-locked time counter, then one insert ... returning *. */
  private async append(
    t: Knex.Transaction,
    communityId: string,
    message: Omit<HistoryRow, 'id' | 'userName'> & { userId: string | null },
  ): Promise<{ id: string }> {
    const [counter] = await t('communities')
      .where('id', communityId)
      .update({
        lastMessageAt: t.raw(
          `greatest(?::timestamptz, coalesce(last_message_at, ?::timestamptz) + interval '1 millisecond')`,
          [new Date(), new Date(0)],
        ),
      })
      .returning('lastMessageAt');
    const [row] = await t('community_messages')
      .insert({
        communityId,
        userId: message.userId,
        agentListingId: message.agentListingId,
        agentName: message.agentName,
        content: message.content,
        messageType: message.messageType,
        createdAt: (counter as { lastMessageAt: Date }).lastMessageAt,
      })
      .returning('*');
    return row as { id: string };
  }
}
