// The bare server's customer-service endpoints: a page of the CS queue and a page of a conversation's
// messages, with the SQL statements OfficialService.queue and ConversationsService.messages run (checked
// before every run: update this file when src/ changes them), in knex alone. The queue's order, cursor and
// the message rows' JSON come from the platform's own plain functions (src/official/queue-cursor.ts,
// src/conversations/wire.ts: no contract layer).
import type { Knex } from 'knex';
import type { ConversationMessage, ConversationStatus } from '../../src/conversations/models.js';
import { toConversationMessage } from '../../src/conversations/wire.js';
import { QUEUE_PRIORITY, decodeQueueCursor, encodeQueueCursor, queuePrioritySql, waitingSinceSql } from '../../src/official/queue-cursor.js';
import type { Answer } from './bare-communities.js';

const STAFF_ROLES = ['creator', 'moderator', 'cs_agent'];

interface QueueRow { id: string; status: ConversationStatus; createdAt: Date; updatedAt: Date; waitingSince: string }

export class BareCs {
  constructor(private readonly db: Knex) {}

  private first<T>(rows: Promise<unknown[]>): Promise<T | undefined> {
    return rows.then((r) => r[0] as T | undefined);
  }

  private community(id: string) {
    return this.first<{ id: string; type: string }>(this.db('communities').select('communities.*').where('communities.id', id));
  }

  private role(communityId: string, userId: string) {
    return this.first<{ role: string }>(this.db('community_members').select('community_members.*').where({ communityId, userId })).then((m) => m?.role);
  }

  async queue(userId: string, id: string, query: { status?: ConversationStatus; limit: number; cursor?: string }): Promise<Answer> {
    const { status, limit } = query;
    let after;
    try {
      after = query.cursor === undefined ? undefined : decodeQueueCursor(query.cursor, status);
    } catch {
      return { status: 400 };
    }
    const community = await this.community(id);
    if (!community) return { status: 404 };
    if (community.type !== 'official') return { status: 409 };
    const role = await this.role(id, userId);
    if (!role || !STAFF_ROLES.includes(role)) return { status: 403 };
    const priority = queuePrioritySql('c.status');
    const rows = this.db('conversations as c').join('users as u', 'u.id', 'c.customerId').where('c.communityId', id)
      .select('c.id', 'c.id as conversationId', 'c.customerId as userId', 'c.status', 'c.assignedCsId', 'u.name as userName', 'u.image as userImage', 'c.createdAt', 'c.updatedAt',
        this.db.raw(`${waitingSinceSql('c.updated_at')} as waiting_since`))
      .orderByRaw(`${priority}, c.updated_at asc, c.id asc`).limit(limit + 1);
    if (status) rows.whereRaw(`${priority} = ?`, [QUEUE_PRIORITY[status]]).where('c.status', status);
    if (after) rows.whereRaw(`(${priority}, c.updated_at, c.id) > (?::int, ?::timestamptz, ?::uuid)`, [after.priority, after.waitingSince, after.id]);
    const page = (await rows) as QueueRow[];
    const entries = page.slice(0, limit);
    const last = entries.at(-1);
    return {
      status: 200,
      body: {
        queue: entries.map(({ waitingSince: _w, ...e }) => ({ ...e, createdAt: e.createdAt.toISOString(), updatedAt: e.updatedAt.toISOString() })),
        nextCursor: page.length > limit && last ? encodeQueueCursor(status, { priority: QUEUE_PRIORITY[last.status], waitingSince: last.waitingSince, id: last.id }) : null,
      },
    };
  }

  /** ConversationsService.readable (the conversation, its community, the caller's membership), then the page. */
  async messages(userId: string, id: string, query: { before?: string; limit: number }): Promise<Answer> {
    const conversation = await this.first<{ id: string; communityId: string; customerId: string }>(this.db('conversations').select('conversations.*').where('conversations.id', id));
    if (!conversation) return { status: 404 };
    const community = (await this.community(conversation.communityId))!;
    if (conversation.customerId !== userId) {
      const role = await this.role(community.id, userId);
      if (!role || !STAFF_ROLES.includes(role)) return { status: 404 };
    }
    const rows = this.db('conversation_messages').select('conversation_messages.*').where('conversationId', id).orderBy('createdAt', 'desc').limit(query.limit + 1);
    if (query.before) rows.where('createdAt', '<', new Date(query.before));
    const page = (await rows) as ConversationMessage[];
    return {
      status: 200,
      body: { messages: page.slice(0, query.limit).map((m) => toConversationMessage(m, (audio) => `/api/audio/${audio}`)), hasMore: page.length > query.limit },
    };
  }
}

const QUEUE_PATH = /^\/api\/communities\/([^/]+)\/cs-queue$/;
const MESSAGES_PATH = /^\/api\/conversations\/([^/]+)\/messages$/;

/** Routes the two endpoints; undefined for any other path. */
export async function routeCs(q: BareCs, method: string, path: string, query: Record<string, unknown>, userId: string | undefined): Promise<Answer | undefined> {
  if (method !== 'GET') return undefined;
  const queue = QUEUE_PATH.exec(path);
  const messages = queue ? null : MESSAGES_PATH.exec(path);
  if (!queue && !messages) return undefined;
  if (!userId) return { status: 401 };
  const limit = Number(query.limit ?? 50);
  if (queue) return q.queue(userId, queue[1]!, { limit, status: query.status as ConversationStatus | undefined, cursor: query.cursor as string | undefined });
  return q.messages(userId, messages![1]!, { limit, before: query.before as string | undefined });
}
