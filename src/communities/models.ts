// The communities area's tables as Objection models: its query layer.
import { Model } from 'objection';

export type CommunityType = 'official' | 'club' | 'lounge';
export type CsMode = 'ai_only' | 'human_only' | 'hybrid';
export type MemberRole = 'creator' | 'moderator' | 'cs_agent' | 'member';
export type SubscriptionStatus = 'active' | 'past_due' | 'cancelled' | 'none';

export class Community extends Model {
  static override tableName = 'communities';
  id!: string;
  creatorId!: string;
  name!: string;
  description!: string | null;
  type!: CommunityType;
  category!: string | null;
  avatarUrl!: string | null;
  joinFeeMinor!: string | number;
  monthlyFeeMinor!: string | number;
  agentCallFeeMinor!: string | number;
  csMode!: CsMode;
  defaultAgentListingId!: string | null;
  status!: 'active' | 'archived';
  isVerified!: boolean;
  memberCount!: number;
  lastMessageAt!: Date | null;
  createdAt!: Date;
  updatedAt!: Date;
}

export class CommunityMember extends Model {
  static override tableName = 'community_members';
  id!: string;
  communityId!: string;
  userId!: string;
  role!: MemberRole;
  subscriptionStatus!: SubscriptionStatus;
  paidUntil!: Date | null;
  /** False once the member cancelled: the paid month runs out, then the subscription ends. */
  renews!: boolean;
  /** The monthly price the member agreed to (minor units): a renewal charges at most this. Null without a subscription. */
  monthlyPriceMinor!: string | number | null;
  joinedAt!: Date;
}

export class CommunityPaidMonth extends Model {
  static override tableName = 'community_paid_months';
  static override idColumn = ['communityId', 'userId', 'startsAt'];
  communityId!: string;
  userId!: string;
  startsAt!: Date;
  endsAt!: Date;
}

export class CommunityAgent extends Model {
  static override tableName = 'community_agents';
  id!: string;
  communityId!: string;
  listingId!: string;
  addedAt!: Date;
}

export type MessageType = 'text' | 'agent' | 'system';

export class CommunityMessage extends Model {
  static override tableName = 'community_messages';
  id!: string;
  communityId!: string;
  userId!: string | null;
  agentListingId!: string | null;
  agentName!: string | null;
  content!: string;
  messageType!: MessageType;
  ttsAudioId!: string | null;
  createdAt!: Date;
}
