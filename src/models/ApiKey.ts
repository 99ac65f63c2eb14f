import { Model } from 'objection';
import { User } from './User.js';

/** An API key. Only the key's hash is stored; `prefix` is what lists show. */
export class ApiKey extends Model {
  static override tableName = 'api_keys';
  id!: string;
  userId!: string;
  name!: string;
  prefix!: string;
  keyHash!: string;
  createdAt!: Date;
  expiresAt!: Date | null;
  revokedAt!: Date | null;
  lastUsedAt!: Date | null;
  user?: User;

  static override relationMappings = () => ({
    user: { relation: Model.BelongsToOneRelation, modelClass: User, join: { from: 'api_keys.userId', to: 'users.id' } },
  });
}
