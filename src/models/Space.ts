import { Model } from 'objection';
import { User } from './User.js';
import { SpaceSession } from './SpaceSession.js';

export class Space extends Model {
  static override tableName = 'spaces';
  static override jsonAttributes = ['definition'];
  id!: string;
  ownerId!: string;
  name!: string;
  description!: string | null;
  category!: string | null;
  tags!: string[];
  definition!: Record<string, unknown>;
  isPublic!: boolean;
  createdAt!: Date;
  updatedAt!: Date;
  owner?: User;
  sessions?: SpaceSession[];

  static override relationMappings = () => ({
    owner: { relation: Model.BelongsToOneRelation, modelClass: User, join: { from: 'spaces.ownerId', to: 'users.id' } },
    sessions: { relation: Model.HasManyRelation, modelClass: SpaceSession, join: { from: 'spaces.id', to: 'space_sessions.spaceId' } },
  });
}
