// The reads every community, customer-service and conversation operation starts with: the community by id
// and a user's membership. Plain knex sending the statements Objection's findById / findOne send: these
// run on every such request, where Objection's model building is a visible cost (the communities and
// customer-service rows of docs/benchmarks.md).
import type { Db } from '../platform/transactions.js';
import type { Community, CommunityMember } from './models.js';

export async function findCommunity(
  db: Db,
  id: string,
  options: { lock?: boolean } = {},
): Promise<Community | undefined> {
  const query = db('communities').select('communities.*').where('communities.id', id);
  return ((await (options.lock ? query.forUpdate() : query)) as Community[])[0];
}

/**
 * `share`: held until the transaction ends, so that a concurrent change of the membership waits for it;
 * `update`: the caller changes the membership (or inserts it when there is none).
 */
export async function findMember(
  db: Db,
  communityId: string,
  userId: string,
  options: { lock?: 'share' | 'update' } = {},
): Promise<CommunityMember | undefined> {
  const query = db('community_members').select('community_members.*').where({ communityId, userId });
  const locked = options.lock === 'share' ? query.forShare() : options.lock === 'update' ? query.forUpdate() : query;
  return ((await locked) as CommunityMember[])[0];
}
