// Spaces rows -> contract types.
import type * as T from '../../generated/server/schemas.gen.js';
import type { SpaceParticipant, SpaceRecord, SpaceSession } from './models.js';

export const toSpaceRow = (s: SpaceRecord): T.SpaceRow => ({
  id: s.id,
  ownerId: s.ownerId,
  name: s.name,
  description: s.description,
  category: s.category,
  tags: s.tags,
  definition: s.definition,
  isPublic: s.isPublic,
  createdAt: s.createdAt.toISOString(),
  updatedAt: s.updatedAt.toISOString(),
});

export const toSession = (s: SpaceSession): T.SpaceSession => ({
  id: s.id,
  playgroundId: s.spaceId,
  status: s.status,
  participantCount: Number(s.participantCount ?? 0),
  createdBy: s.createdBy,
  createdAt: s.createdAt.toISOString(),
  updatedAt: s.updatedAt.toISOString(),
});

export const toParticipant = (p: SpaceParticipant): T.SpaceParticipant => ({
  id: p.id,
  sessionId: p.sessionId,
  userId: p.userId,
  agentId: p.agentId,
  role: p.role,
  controlMode: p.controlMode,
  isConnected: p.isConnected,
  joinedAt: p.joinedAt.toISOString(),
});
