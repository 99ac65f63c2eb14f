// The auth area's tables as Objection models: its query layer, except the credential lookup (service.ts).
import { Model } from 'objection';

export class User extends Model {
  static override tableName = 'users';
  id!: string;
  name!: string;
  email!: string;
  image!: string | null;
  passwordHash!: string;
  /** Set only by the operator (src/auth/admins.ts), never by a request. */
  isAdmin!: boolean;
  createdAt!: Date;
  updatedAt!: Date;
}

/** A signed-in session. Only the token's hash is stored. */
export class AuthSession extends Model {
  static override tableName = 'auth_sessions';
  id!: string;
  userId!: string;
  tokenHash!: string;
  createdAt!: Date;
  expiresAt!: Date;
  revokedAt!: Date | null;
}

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
}
