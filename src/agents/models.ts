// The agents area's table as an Objection model: its query layer.
import { Model } from 'objection';

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
