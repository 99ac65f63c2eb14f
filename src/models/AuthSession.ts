import { Model } from 'objection';
import { User } from './User.js';

/** A signed-in session. Only the token's hash is stored. */
export class AuthSession extends Model {
  static override tableName = 'auth_sessions';
  id!: string;
  userId!: string;
  tokenHash!: string;
  createdAt!: Date;
  expiresAt!: Date;
  revokedAt!: Date | null;
  user?: User;

  static override relationMappings = () => ({
    user: { relation: Model.BelongsToOneRelation, modelClass: User, join: { from: 'auth_sessions.userId', to: 'users.id' } },
  });
}
