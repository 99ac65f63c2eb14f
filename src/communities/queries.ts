// The communities area's hot-path message page, in plain knex. CommunitiesService.messages runs it, and so does
// the benchmark's bare server (scripts/bench/bare-communities.ts).
import type * as T from '../../generated/server/schemas.gen.js';
import { userProfiles } from '../auth/index.js';
import { toTimestamp } from '../platform/date-time.js';
import type { Db } from '../platform/transactions.js';
import type { CommunityMessage } from './models.js';
import { toMessage } from './wire.js';

/** A page of a community's history, newest first, before `before` when given, with each author's profile. */
export async function communityMessagePage(
  db: Db,
  id: string,
  query: { before?: string; limit: number },
  audioUrl: (id: string) => string,
): Promise<T.CommunityMessageList> {
  const rows = db('community_messages as msg')
    .leftJoin(userProfiles(db).as('u'), 'u.id', 'msg.userId')
    .where('msg.communityId', id)
    .select('msg.*', 'u.name as userName', 'u.image as userImage')
    .orderBy('msg.createdAt', 'desc')
    .limit(query.limit + 1);
  if (query.before) rows.where('msg.createdAt', '<', toTimestamp(query.before));
  const page = (await rows) as Array<CommunityMessage & { userName: string | null; userImage: string | null }>;
  return {
    messages: page.slice(0, query.limit).map((m) => toMessage(m, audioUrl)),
    hasMore: page.length > query.limit,
  };
}
