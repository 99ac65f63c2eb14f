// Communities rows -> contract types (fees in minor units -> credits).
import type * as T from '../../generated/server/schemas.gen.js';
import { fromMinor } from '../platform/money.js';
import type { Community, CommunityAgent, CommunityMember, CommunityMessage } from './models.js';

export const toCommunity = (c: Community): T.Community => ({
  id: c.id,
  creatorId: c.creatorId,
  name: c.name,
  description: c.description,
  type: c.type,
  category: c.category,
  avatarUrl: c.avatarUrl,
  joinFee: fromMinor(c.joinFeeMinor),
  monthlyFee: fromMinor(c.monthlyFeeMinor),
  agentCallFee: fromMinor(c.agentCallFeeMinor),
  csMode: c.csMode,
  defaultAgentListingId: c.defaultAgentListingId,
  status: c.status,
  isVerified: c.isVerified,
  memberCount: c.memberCount,
  createdAt: c.createdAt.toISOString(),
  updatedAt: c.updatedAt.toISOString(),
});

export const toMember = (m: CommunityMember & { userName: string; userImage: string | null }): T.CommunityMember => ({
  id: m.id,
  userId: m.userId,
  role: m.role,
  joinedAt: m.joinedAt.toISOString(),
  subscriptionStatus: m.subscriptionStatus,
  userName: m.userName,
  userImage: m.userImage,
});

export const toAgent = (
  a: CommunityAgent & { agentName: string; avatarUrl: string | null; description: string | null; model: string },
): T.CommunityAgent => ({
  id: a.id,
  listingId: a.listingId,
  agentName: a.agentName,
  avatarUrl: a.avatarUrl,
  description: a.description,
  model: a.model,
  addedAt: a.addedAt.toISOString(),
});

/** `audioUrl(id)` turns a stored audio id into the absolute URL this server serves it at. */
type MessageRow = Pick<
  CommunityMessage,
  'id' | 'userId' | 'agentListingId' | 'agentName' | 'content' | 'messageType' | 'ttsAudioId' | 'createdAt'
>;

export const toMessage = (
  m: MessageRow & { userName: string | null; userImage: string | null },
  audioUrl: (id: string) => string,
): T.CommunityMessage => ({
  id: m.id,
  userId: m.userId,
  agentListingId: m.agentListingId,
  content: m.content,
  messageType: m.messageType,
  createdAt: m.createdAt.toISOString(),
  userName: m.userName,
  userImage: m.userImage,
  agentName: m.agentName,
  ttsAudioUrl: m.ttsAudioId ? audioUrl(m.ttsAudioId) : null,
});
