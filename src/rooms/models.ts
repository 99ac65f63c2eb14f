// The rooms area's tables as Objection models: its query layer.
import { Model } from 'objection';

export type DocumentKind = 'rules' | 'agent_role';
export type Kind = 'human' | 'agent';

export class RoomDocument extends Model {
  static override tableName = 'room_documents';
  id!: string;
  kind!: DocumentKind;
  creatorId!: string;
  description!: string | null;
  displayName!: string;
  latestVersion!: number;
  createdAt!: Date;
  updatedAt!: Date;
}

export class RoomDocumentVersion extends Model {
  static override tableName = 'room_document_versions';
  id!: string;
  documentId!: string;
  version!: number;
  displayName!: string;
  body!: string;
  createdAt!: Date;
}

export class Room extends Model {
  static override tableName = 'rooms';
  id!: string;
  ownerId!: string;
  name!: string;
  description!: string | null;
  accessPolicy!: 'invite_only';
  rulesDocumentId!: string | null;
  state!: 'active' | 'archived';
  createdByKind!: Kind;
  createdByMembershipId!: string;
  createdByDisplayName!: string;
  createdByRoleDocumentVersionId!: string | null;
  archivedAt!: Date | null;
  archivedByKind!: Kind | null;
  archivedByMembershipId!: string | null;
  archivedByDisplayName!: string | null;
  archivedByRoleDocumentVersionId!: string | null;
  lastSeq!: string | number;
  createdAt!: Date;
  updatedAt!: Date;
}

export class RoomParticipant extends Model {
  static override tableName = 'room_participants';
  id!: string;
  roomId!: string;
  participantKind!: Kind;
  membershipId!: string;
  displayName!: string;
  profilePictureUrl!: string | null;
  roleDocumentId!: string | null;
  agentEnabled!: boolean;
  joinedAt!: Date;
  leftAt!: Date | null;
  /** The seq of the event that ended its latest membership (`participant.left` / `.removed`); null if none. */
  leftSeq!: string | number | null;
  createdAt!: Date;
  updatedAt!: Date;
}

export class RoomInvitation extends Model {
  static override tableName = 'room_invitations';
  id!: string;
  roomId!: string;
  inviteeKind!: Kind;
  inviteeMembershipId!: string | null;
  roleDocumentId!: string | null;
  invitedByUserId!: string;
  status!: 'pending' | 'accepted' | 'revoked';
  expiresAt!: Date;
  respondedAt!: Date | null;
  acceptedParticipantId!: string | null;
  acceptedByUserId!: string | null;
  /** The seq of its `invitation.created`. */
  createdSeq!: string | number;
  createdAt!: Date;
  updatedAt!: Date;
}

export interface MessageRef {
  displayName: string;
  targetId: string;
  targetKind: Kind;
}

export class RoomMessage extends Model {
  static override tableName = 'room_messages';
  static override jsonAttributes = ['refs', 'runSummary'];
  id!: string;
  roomId!: string;
  seq!: string | number;
  participantId!: string;
  actorKind!: Kind;
  actorMembershipId!: string;
  actorDisplayName!: string;
  actorRoleDocumentVersionId!: string | null;
  actorRoleDocumentVersion!: number | null;
  body!: string;
  bodyFormat!: 'plain_text' | 'markdown';
  refs!: MessageRef[];
  branchedFromMessageId!: string | null;
  runSummary!: Record<string, unknown> | null;
  editedAt!: Date | null;
  deletedAt!: Date | null;
  createdAt!: Date;
  updatedAt!: Date;
}

export class RoomEvent extends Model {
  static override tableName = 'room_events';
  static override jsonAttributes = ['payload'];
  id!: string;
  roomId!: string;
  seq!: string | number;
  type!: string;
  schemaVersion!: number;
  actorKind!: 'human' | 'agent' | 'system';
  actorMembershipId!: string | null;
  actorDisplayName!: string;
  actorRoleDocumentVersionId!: string | null;
  subjectKind!: 'room' | 'participant' | 'invitation' | 'message' | 'run';
  subjectId!: string;
  payload!: Record<string, unknown>;
  fallbackText!: string;
  slot!: 'timeline' | 'inline' | 'hidden';
  createdAt!: Date;
}

export class RoomRun extends Model {
  static override tableName = 'room_runs';
  id!: string;
  roomId!: string;
  participantId!: string;
  triggerMessageId!: string;
  status!: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
  roleDocumentVersionId!: string | null;
  error!: string | null;
  toolCallCount!: number;
  replyMessageId!: string | null;
  startedAt!: Date | null;
  /** Moved on by the worker while `running`; the reaper fails a run whose heartbeat stopped. */
  heartbeatAt!: Date | null;
  completedAt!: Date | null;
  createdAt!: Date;
  updatedAt!: Date;
}
