// The conversations area's tables as Objection models: its query layer.
import { Model } from 'objection';

export type ConversationStatus = 'ai_active' | 'waiting_human' | 'human_active' | 'resolved';
export type SenderKind = 'customer' | 'cs_agent' | 'ai' | 'system';

export class Conversation extends Model {
  static override tableName = 'conversations';
  id!: string;
  communityId!: string;
  customerId!: string;
  status!: ConversationStatus;
  assignedCsId!: string | null;
  lastMessageAt!: Date | null;
  createdAt!: Date;
  updatedAt!: Date;
}

export class ConversationMessage extends Model {
  static override tableName = 'conversation_messages';
  id!: string;
  conversationId!: string;
  senderKind!: SenderKind;
  senderId!: string | null;
  agentListingId!: string | null;
  content!: string;
  ttsAudioId!: string | null;
  createdAt!: Date;
}
