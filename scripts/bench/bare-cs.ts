// The bare server's customer-service endpoints: a page of the CS queue and a page of a conversation's
// messages, running the areas' own access reads and the pages' knex baselines with their JSON mapping
// (src/official/queries.ts, src/conversations/queries.ts and the communities reads; OfficialService.queue and
// ConversationsService.messages render the same JSON in PostgreSQL) behind a few string comparisons.
import type { Knex } from 'knex';
import { findCommunity, findMember } from '../../src/communities/index.js';
import {
  STAFF_ROLES,
  conversationAccess,
  conversationMessagePage,
  type ConversationStatus,
} from '../../src/conversations/index.js';
import { csQueuePage, decodeQueueCursor } from '../../src/official/index.js';
import type { Answer } from './bare-communities.js';

async function queue(
  db: Knex,
  userId: string,
  id: string,
  query: { status?: ConversationStatus; limit: number; cursor?: string },
): Promise<Answer> {
  let after: ReturnType<typeof decodeQueueCursor> | undefined;
  try {
    after = query.cursor === undefined ? undefined : decodeQueueCursor(query.cursor, query.status);
  } catch {
    return { status: 400 };
  }
  const community = await findCommunity(db, id);
  if (!community) return { status: 404 };
  if (community.type !== 'official') return { status: 409 };
  const role = (await findMember(db, id, userId))?.role;
  if (!role || !STAFF_ROLES.includes(role)) return { status: 403 };
  return { status: 200, body: await csQueuePage(db, id, { status: query.status, limit: query.limit, after }) };
}

async function messages(
  db: Knex,
  userId: string,
  id: string,
  query: { before?: string; limit: number },
): Promise<Answer> {
  if (!(await conversationAccess(db, userId, id))?.as) return { status: 404 };
  return { status: 200, body: await conversationMessagePage(db, id, query, (audio) => `/api/audio/${audio}`) };
}

const QUEUE_PATH = /^\/api\/communities\/([^/]+)\/cs-queue$/;
const MESSAGES_PATH = /^\/api\/conversations\/([^/]+)\/messages$/;

/** Routes the two endpoints; undefined for any other path. */
export async function routeCs(
  db: Knex,
  method: string,
  path: string,
  query: Record<string, unknown>,
  userId: string | undefined,
): Promise<Answer | undefined> {
  if (method !== 'GET') return undefined;
  const queueMatch = QUEUE_PATH.exec(path);
  const messagesMatch = queueMatch ? null : MESSAGES_PATH.exec(path);
  if (!queueMatch && !messagesMatch) return undefined;
  if (!userId) return { status: 401 };
  const limit = Number(query.limit ?? 50);
  if (queueMatch)
    return queue(db, userId, queueMatch[1]!, {
      limit,
      status: query.status as ConversationStatus | undefined,
      cursor: query.cursor as string | undefined,
    });
  return messages(db, userId, messagesMatch![1]!, { limit, before: query.before as string | undefined });
}
