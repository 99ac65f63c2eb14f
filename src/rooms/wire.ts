// Rooms rows -> contract types (types from generated/server).
import type * as T from '../../generated/server/schemas.gen.js';
import type {
  Room,
  RoomDocument,
  RoomDocumentVersion,
  RoomEvent,
  RoomInvitation,
  RoomMessage,
  RoomParticipant,
  RoomRun,
} from './models.js';

const iso = (d: Date) => d.toISOString();
const isoOrNull = (d: Date | null) => (d ? d.toISOString() : null);

export const toParticipant = (p: RoomParticipant): T.RoomParticipant => ({
  agentEnabled: p.agentEnabled,
  createdAt: iso(p.createdAt),
  displayName: p.displayName,
  id: p.id,
  joinedAt: iso(p.joinedAt),
  leftAt: isoOrNull(p.leftAt),
  membershipId: p.membershipId,
  participantKind: p.participantKind,
  profilePictureUrl: p.profilePictureUrl,
  roleDocumentId: p.roleDocumentId,
  roomId: p.roomId,
  updatedAt: iso(p.updatedAt),
});

/** The caller's relation to a room (the `actor*` fields). */
export interface RoomActor {
  userId: string;
  isParticipant: boolean;
  pendingInvitationId: string | null;
}

/** `participants`: the current ones the room embeds (the first of them); `participantCount`: how many there are. */
export const toRoom = (
  r: Room,
  participants: RoomParticipant[],
  participantCount: number,
  actor: RoomActor,
): T.Room => ({
  accessPolicy: r.accessPolicy,
  actorIsOwner: r.ownerId === actor.userId,
  actorIsParticipant: actor.isParticipant,
  actorPendingInvitationId: actor.pendingInvitationId,
  archivedAt: isoOrNull(r.archivedAt),
  archivedByDisplayName: r.archivedByDisplayName,
  archivedByKind: r.archivedByKind,
  archivedByMembershipId: r.archivedByMembershipId,
  archivedByRoleDocumentVersionId: r.archivedByRoleDocumentVersionId,
  createdAt: iso(r.createdAt),
  createdByDisplayName: r.createdByDisplayName,
  createdByKind: r.createdByKind,
  createdByMembershipId: r.createdByMembershipId,
  createdByRoleDocumentVersionId: r.createdByRoleDocumentVersionId,
  description: r.description,
  id: r.id,
  name: r.name,
  participantCount,
  participants: participants.filter((p) => p.leftAt === null).map(toParticipant),
  rulesDocumentId: r.rulesDocumentId,
  state: r.state,
  updatedAt: iso(r.updatedAt),
});

/** An invitation's status as clients see it: a pending one past `expiresAt` is `expired`. */
export const statusOf = (i: RoomInvitation, now: Date): T.RoomInvitation['status'] =>
  i.status === 'pending' && i.expiresAt.getTime() <= now.getTime() ? 'expired' : i.status;

export const toInvitation = (i: RoomInvitation, now: Date): T.RoomInvitation => ({
  acceptedParticipantId: i.acceptedParticipantId,
  createdAt: iso(i.createdAt),
  expiresAt: iso(i.expiresAt),
  id: i.id,
  invitedByMembershipId: i.invitedByUserId,
  inviteeKind: i.inviteeKind,
  inviteeMembershipId: i.inviteeMembershipId,
  respondedAt: isoOrNull(i.respondedAt),
  roleDocumentId: i.roleDocumentId,
  roomId: i.roomId,
  status: statusOf(i, now),
  updatedAt: iso(i.updatedAt),
});

export const toInvitationListItem = (
  i: RoomInvitation & { inviteeDisplayName: string | null; inviteeProfilePictureUrl: string | null },
  now: Date,
): T.RoomInvitationListItem => ({
  ...toInvitation(i, now),
  inviteeDisplayName: i.inviteeDisplayName,
  inviteeProfilePictureUrl: i.inviteeProfilePictureUrl,
});

export const toMessage = (m: RoomMessage): T.RoomMessage => ({
  actorDisplayName: m.actorDisplayName,
  actorKind: m.actorKind,
  actorMembershipId: m.actorMembershipId,
  actorRoleDocumentVersion: m.actorRoleDocumentVersion,
  actorRoleDocumentVersionId: m.actorRoleDocumentVersionId,
  body: m.body,
  bodyFormat: m.bodyFormat,
  branchedFromMessageId: m.branchedFromMessageId,
  createdAt: iso(m.createdAt),
  deletedAt: isoOrNull(m.deletedAt),
  editedAt: isoOrNull(m.editedAt),
  id: m.id,
  refs: m.refs,
  roomId: m.roomId,
  runSummary: m.runSummary,
  seq: Number(m.seq),
  updatedAt: iso(m.updatedAt),
});

export const toEvent = (e: RoomEvent): T.RoomEvent => ({
  actor: {
    displayName: e.actorDisplayName,
    kind: e.actorKind,
    membershipId: e.actorMembershipId,
    roleDocumentVersionId: e.actorRoleDocumentVersionId,
  },
  createdAt: iso(e.createdAt),
  id: e.id,
  payload: e.payload,
  render: { fallbackText: e.fallbackText, rendererKey: e.type, rendererVersion: 1, slot: e.slot },
  schemaVersion: e.schemaVersion,
  seq: Number(e.seq),
  subject: { id: e.subjectId, kind: e.subjectKind },
  type: e.type as T.RoomEventType,
});

export const toVersion = (v: RoomDocumentVersion): T.RoomDocumentVersion => ({
  body: v.body,
  createdAt: iso(v.createdAt),
  displayName: v.displayName,
  documentId: v.documentId,
  id: v.id,
  version: v.version,
});

export const toDocument = (d: RoomDocument, latest: RoomDocumentVersion): T.RoomDocument => ({
  createdAt: iso(d.createdAt),
  description: d.description,
  displayName: d.displayName,
  id: d.id,
  kind: d.kind,
  latestVersion: toVersion(latest),
  updatedAt: iso(d.updatedAt),
});

export const toRun = (r: RoomRun): T.RoomRun => ({
  completedAt: isoOrNull(r.completedAt),
  createdAt: iso(r.createdAt),
  error: r.error,
  id: r.id,
  participantId: r.participantId,
  replyMessageId: r.replyMessageId,
  roleDocumentVersionId: r.roleDocumentVersionId,
  roomId: r.roomId,
  startedAt: isoOrNull(r.startedAt),
  status: r.status,
  toolCallCount: r.toolCallCount,
  triggerMessageId: r.triggerMessageId,
  updatedAt: iso(r.updatedAt),
});

export const toToolEvent = (e: RoomEvent): T.RoomToolEvent => ({
  createdAt: iso(e.createdAt),
  payload: e.payload as T.RoomToolEventPayload,
  schemaVersion: e.schemaVersion,
  seq: Number(e.seq),
  type: e.type as T.RoomToolEvent['type'],
});
