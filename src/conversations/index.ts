// The conversations area's public interface: what the composition root and other areas may use. Everything
// else in this folder is private to it.
export { conversationsHandlers } from './handlers.js';
export { ConversationsService } from './service.js';
export {
  CONVERSATIONS_SQL,
  STAFF_ROLES,
  STAFF_ROLES_SQL,
  conversationAccess,
  conversationMessagePage,
  conversationMessagePageQuery,
  countConversations,
  findConversation,
  queueRows,
} from './queries.js';
export { ConversationChat, type VoicePlan } from './chat.js';
export type { Conversation, ConversationStatus } from './models.js';
export { notOfficial } from './errors.js';
