// Conversation rows -> contract types.
import type * as T from '../../generated/server/schemas.gen.js';
import type { ConversationMessage } from './models.js';

/** `audioUrl(id)` turns a stored audio id into the absolute URL this server serves it at. */
export const toConversationMessage = (
  m: ConversationMessage,
  audioUrl: (id: string) => string,
): T.ConversationMessage => ({
  id: m.id,
  conversationId: m.conversationId,
  senderKind: m.senderKind,
  senderId: m.senderId,
  agentListingId: m.agentListingId,
  content: m.content,
  createdAt: m.createdAt.toISOString(),
  ttsAudioUrl: m.ttsAudioId ? audioUrl(m.ttsAudioId) : null,
});
