// Agent listing rows -> contract types. `instructions` (the system prompt) is shown to the owner only.
import type * as T from '../../generated/server/schemas.gen.js';
import type { AgentListing } from './models.js';

export const toAgentListing = (row: AgentListing, viewerId: string): T.AgentListing => ({
  id: row.id,
  ownerId: row.ownerId,
  name: row.name,
  description: row.description,
  avatarUrl: row.avatarUrl,
  model: row.model,
  instructions: row.ownerId === viewerId ? row.instructions : null,
  isPublic: row.isPublic,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});
