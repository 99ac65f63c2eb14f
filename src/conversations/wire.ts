// Conversation rows -> contract types.
import type * as T from '../../generated/server/schemas.gen.js';
import type { ConversationMessage } from './models.js';

export const toConversationMessage = (m: ConversationMessage): T.ConversationMessage => ({
  id: m.id,
  conversationId: m.conversationId,
  senderKind: m.senderKind,
  senderId: m.senderId,
  agentListingId: m.agentListingId,
  content: m.content,
  createdAt: m.createdAt.toISOString(),
});
