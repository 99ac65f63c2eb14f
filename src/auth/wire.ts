// Auth rows -> contract types.
import type { ApiKey as ApiKeyBody, User as UserBody } from '../../generated/server/schemas.gen.js';
import type { ApiKey, User } from './models.js';

export const toUser = (user: Pick<User, 'id' | 'name' | 'email' | 'image'>): UserBody => ({
  id: user.id,
  name: user.name,
  email: user.email,
  image: user.image,
});

export const toApiKey = (row: ApiKey): ApiKeyBody => ({
  id: row.id,
  name: row.name,
  prefix: row.prefix,
  createdAt: row.createdAt.toISOString(),
  expiresAt: row.expiresAt?.toISOString() ?? null,
  lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
});
