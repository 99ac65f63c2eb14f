// The agents area's tables as Objection models. Its operations are not built yet; other areas read listings
// through `findListing`.
import { Model } from 'objection';
import type { Db } from '../platform/transactions.js';

export class AgentListing extends Model {
  static override tableName = 'agent_listings';
  id!: string;
  ownerId!: string;
  name!: string;
  description!: string | null;
  avatarUrl!: string | null;
  model!: string;
  instructions!: string | null;
  isPublic!: boolean;
  createdAt!: Date;
  updatedAt!: Date;
}

export const findListing = (db: Db, id: string) => AgentListing.query(db).findById(id);
