// Invitations: humans (named by user id, or open) and agents (by agent listing id), accepting them
// (idempotently, expired and revoked ones refused), revoking them, whom to invite (candidates), and finding a
// person by exact email. A former participant comes back only through an invitation created after their
// membership ended: compared by seq in the room's log (`createdSeq` against the participant's `leftSeq`), so
// an open invitation they made, or saw made, while inside cannot undo their removal.
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type * as T from '../../generated/server/schemas.gen.js';
import { findListing, listingsUsableBy, type ListingSummary } from '../agents/index.js';
import { findUserProfile, findUserProfileByEmail } from '../auth/index.js';
import type { Clock } from '../platform/clock.js';
import type { OffsetQuery } from '../platform/pages.js';
import type { Principal } from '../platform/principal.js';
import { inTransaction, type Db, type Transaction } from '../platform/transactions.js';
import { isVisibleTo } from '../platform/visibility.js';
import { isCurrent, requireActive, type RoomAccess } from './access.js';
import type { DocumentsService } from './documents.js';
import {
  acceptedNotRevocable,
  alreadyInvited,
  alreadyParticipant,
  invalidField,
  invitationAlreadyAccepted,
  invitationExpired,
  invitationNotFound,
  invitationPredatesLeaving,
  invitationRevoked,
  inviteeNotFound,
  notAParticipant,
  notInvitationCreator,
  notInvitee,
  notRoomOwner,
  roomNotFound,
} from './errors.js';
import { humanActor, type Actor, type EventLog } from './event-log.js';
import { Room, RoomInvitation, RoomParticipant } from './models.js';
import type { Joiner, ParticipantsService } from './participants.js';
import { currentMembershipIds, humansSharingARoomWith, invitationPage } from './queries.js';
import type { Revocations } from './revocations.js';
import { statusOf, toInvitation, toInvitationListItem } from './wire.js';

export const INVITATION_TTL_MS = 7 * 24 * 3600 * 1000;
const MAX_CANDIDATES = 100;

export class InvitationsService {
  constructor(
    private readonly db: Knex,
    private readonly clock: Clock,
    private readonly access: RoomAccess,
    private readonly eventLog: EventLog,
    private readonly documents: DocumentsService,
    private readonly participants: ParticipantsService,
    private readonly revocations: Revocations,
  ) {}

  /** A page of the room's invitations, newest first, with the invitee's current name and avatar. */
  async list(principal: Principal, roomId: string, page: OffsetQuery): Promise<T.RoomInvitationList> {
    await this.access.current(this.db, principal, roomId);
    const rows = await invitationPage(this.db, roomId, page);
    const now = this.clock.now();
    return { items: rows.map((i) => toInvitationListItem(i, now)) };
  }

  async create(
    principal: Principal,
    roomId: string,
    input: T.RoomInvitationCreateRequest,
    trx?: Transaction,
  ): Promise<T.RoomInvitation> {
    return inTransaction(this.db, trx, async (t) => {
      const { room } = await this.access.current(t, principal, roomId, { lock: true });
      const user = principal.user;
      if (input.inviteeKind === 'agent' && room.ownerId !== user.id) throw notRoomOwner();
      requireActive(room);
      const membershipId = input.inviteeMembershipId ?? null;
      const roleDocumentId = input.roleDocumentId ?? null;
      let joiner: Joiner | undefined;
      let listing: ListingSummary | undefined;
      if (input.inviteeKind === 'human') {
        if (roleDocumentId !== null) throw invalidField('roleDocumentId', 'Must be null for a human invitation');
        if (membershipId !== null) {
          const invitee = await findUserProfile(t, membershipId);
          if (!invitee) throw invalidField('inviteeMembershipId', 'Must be the id of an existing user');
        }
      } else {
        if (membershipId === null)
          throw invalidField('inviteeMembershipId', 'Required for an agent invitation: an agent listing id');
        listing = await findListing(t, membershipId);
        if (!listing || !isVisibleTo(listing, user.id))
          throw invalidField('inviteeMembershipId', 'Must be the id of a public agent listing or one you own');
        if (roleDocumentId !== null) await this.documents.referenced(t, 'agent_role', roleDocumentId, 'roleDocumentId');
        joiner = {
          kind: 'agent',
          membershipId,
          displayName: listing.name,
          profilePictureUrl: listing.avatarUrl,
          roleDocumentId,
        };
      }
      const now = this.clock.now();
      if (membershipId !== null) {
        const current = await RoomParticipant.query(t).findOne({ roomId, membershipId }).whereNull('leftAt');
        if (current) throw alreadyParticipant();
        const pending = await RoomInvitation.query(t)
          .findOne({ roomId, inviteeMembershipId: membershipId, status: 'pending' })
          .where('expiresAt', '>', now);
        if (pending) throw alreadyInvited();
      }
      // The event first: the invitation records its seq.
      const id = randomUUID();
      const expiresAt = new Date(now.getTime() + INVITATION_TTL_MS);
      const inviteeName = listing?.name ?? (membershipId ? (await findUserProfile(t, membershipId))!.name : undefined);
      const actor = humanActor(user);
      const event = await this.eventLog.append(t, roomId, {
        type: 'invitation.created',
        actor,
        subject: { kind: 'invitation', id },
        payload: {
          invitationId: id,
          inviteeKind: input.inviteeKind,
          inviteeMembershipId: membershipId,
          roleDocumentId,
          expiresAt: expiresAt.toISOString(),
        },
        fallbackText: inviteeName ? `${user.name} invited ${inviteeName}` : `${user.name} created an open invitation`,
      });
      const invitation = await RoomInvitation.query(t).insertAndFetch({
        id,
        roomId,
        inviteeKind: input.inviteeKind,
        inviteeMembershipId: membershipId,
        roleDocumentId,
        invitedByUserId: user.id,
        status: 'pending',
        expiresAt,
        createdSeq: event.seq,
        createdAt: now,
        updatedAt: now,
      });
      // The caller owns the agent listing: nobody else has to agree, so it is accepted at once.
      if (listing && joiner && listing.ownerId === user.id)
        return toInvitation(await this.acceptAs(t, invitation, joiner, actor), this.clock.now());
      return toInvitation(invitation, now);
    });
  }

  /** Accepts an invitation addressed to the caller; accepting it again returns it unchanged. */
  async accept(
    principal: Principal,
    roomId: string,
    invitationId: string,
    trx?: Transaction,
  ): Promise<T.RoomInvitation> {
    return inTransaction(this.db, trx, async (t) => {
      const room = await Room.query(t).findById(roomId).forUpdate();
      if (!room) throw roomNotFound();
      const invitation = await RoomInvitation.query(t).findOne({ id: invitationId, roomId });
      const user = principal.user;
      const now = this.clock.now();
      const listing =
        invitation?.inviteeKind === 'agent' ? await findListing(t, invitation.inviteeMembershipId!) : undefined;
      const addressed =
        !!invitation &&
        (invitation.acceptedByUserId === user.id ||
          (invitation.inviteeKind === 'human' &&
            (invitation.inviteeMembershipId === null || invitation.inviteeMembershipId === user.id)) ||
          (invitation.inviteeKind === 'agent' && listing?.ownerId === user.id));
      if (!invitation || !addressed) {
        // Not the caller's to accept: say so only to someone who can see the room.
        await this.access.load(t, principal, roomId);
        if (!invitation) throw invitationNotFound();
        throw notInvitee();
      }
      if (invitation.status === 'accepted') {
        if (invitation.inviteeMembershipId === null && invitation.acceptedByUserId !== user.id)
          throw invitationAlreadyAccepted();
        return toInvitation(invitation, now);
      }
      if (invitation.status === 'revoked') throw invitationRevoked();
      if (statusOf(invitation, now) === 'expired') throw invitationExpired();
      requireActive(room);
      const joiner: Joiner =
        invitation.inviteeKind === 'human'
          ? {
              kind: 'human',
              membershipId: user.id,
              displayName: user.name,
              profilePictureUrl: user.image,
              roleDocumentId: null,
            }
          : {
              kind: 'agent',
              membershipId: listing!.id,
              displayName: listing!.name,
              profilePictureUrl: listing!.avatarUrl,
              roleDocumentId: invitation.roleDocumentId,
            };
      const former = await RoomParticipant.query(t).findOne({ roomId, membershipId: joiner.membershipId });
      if (former && former.leftAt === null) throw alreadyParticipant();
      if (former?.leftSeq != null && Number(invitation.createdSeq) < Number(former.leftSeq))
        throw invitationPredatesLeaving();
      return toInvitation(await this.acceptAs(t, invitation, joiner, humanActor(user), user.id), this.clock.now());
    });
  }

  /**
   * Revokes a pending invitation: the room's owner any, a current participant the ones they created. Revoking
   * a revoked or expired invitation returns it unchanged; an accepted one is a 409.
   */
  async revoke(
    principal: Principal,
    roomId: string,
    invitationId: string,
    trx?: Transaction,
  ): Promise<T.RoomInvitation> {
    return inTransaction(this.db, trx, async (t) => {
      const { room, participant, userId } = await this.access.load(t, principal, roomId, { lock: true });
      const isOwner = room.ownerId === userId;
      if (!isOwner && !isCurrent(participant)) throw notAParticipant();
      const invitation = await RoomInvitation.query(t).findOne({ id: invitationId, roomId });
      if (!invitation) throw invitationNotFound();
      if (!isOwner && invitation.invitedByUserId !== userId) throw notInvitationCreator();
      const now = this.clock.now();
      if (invitation.status === 'accepted') throw acceptedNotRevocable();
      if (statusOf(invitation, now) !== 'pending') return toInvitation(invitation, now);
      const revoked = await this.revocations.revoke(
        t,
        invitation,
        humanActor(principal.user),
        'manual',
        `${principal.user.name} revoked an invitation`,
      );
      return toInvitation(revoked, now);
    });
  }

  /** Marks it accepted and joins: `invitation.accepted`, then `participant.joined`. */
  private async acceptAs(
    t: Transaction,
    invitation: RoomInvitation,
    joiner: Joiner,
    actor: Actor,
    acceptedByUserId = actor.membershipId!,
  ): Promise<RoomInvitation> {
    const participant = await this.participants.admit(t, invitation.roomId, joiner);
    const now = this.clock.now();
    const accepted = await RoomInvitation.query(t).patchAndFetchById(invitation.id, {
      status: 'accepted',
      respondedAt: now,
      acceptedParticipantId: participant.id,
      acceptedByUserId,
      updatedAt: now,
    });
    await this.eventLog.append(t, invitation.roomId, {
      type: 'invitation.accepted',
      actor,
      subject: { kind: 'invitation', id: invitation.id },
      payload: { invitationId: invitation.id, participantId: participant.id },
      fallbackText:
        invitation.inviteeKind === 'agent'
          ? `${actor.displayName} accepted the invitation for ${joiner.displayName}`
          : `${actor.displayName} accepted an invitation`,
    });
    await this.participants.announce(t, participant, invitation.id, actor);
    return accepted;
  }

  /**
   * Humans who share another room with the caller (both current participants), then agent listings the caller
   * owns or that are public; never current participants of this room. At most 100 of each.
   */
  async candidates(principal: Principal, roomId: string): Promise<T.RoomInviteCandidateList> {
    await this.access.current(this.db, principal, roomId);
    const userId = principal.user.id;
    const db = this.db;
    const currentHere = currentMembershipIds(db, roomId);
    const humans = await humansSharingARoomWith(db, userId, roomId, currentHere, MAX_CANDIDATES);
    const agents = await listingsUsableBy(db, userId, currentHere, MAX_CANDIDATES);
    const now = this.clock.now();
    const invited = new Set(
      (
        await RoomInvitation.query(db)
          .where({ roomId, status: 'pending' })
          .where('expiresAt', '>', now)
          .whereIn('inviteeMembershipId', [...humans.map((h) => h.id), ...agents.map((a) => a.id)])
      ).map((i) => i.inviteeMembershipId),
    );
    const roles = await this.lastRoles(
      db,
      userId,
      agents.map((a) => a.id),
    );
    return {
      items: [
        ...humans.map(
          (h): T.RoomInviteCandidate => ({
            description: null,
            displayName: h.name,
            kind: 'human',
            membershipId: h.id,
            profilePictureUrl: h.image,
            roleDocumentId: null,
            status: invited.has(h.id) ? 'invited' : 'available',
            userId: h.id,
            version: null,
          }),
        ),
        ...agents.map(
          (a): T.RoomInviteCandidate => ({
            description: a.description,
            displayName: a.name,
            kind: 'agent',
            membershipId: a.id,
            profilePictureUrl: a.avatarUrl,
            roleDocumentId: roles.get(a.id)?.documentId ?? null,
            status: invited.has(a.id) ? 'invited' : 'available',
            userId: a.ownerId,
            version: roles.get(a.id)?.version ?? null,
          }),
        ),
      ],
    };
  }

  /**
   * Finds one person to invite by their exact email address (case-insensitive): reveals no directory, only
   * whether that address has an account. 404 when none; 409 ALREADY_PARTICIPANT for a current participant.
   */
  async lookup(principal: Principal, roomId: string, email: string): Promise<T.RoomInviteCandidate> {
    await this.access.current(this.db, principal, roomId);
    const user = await findUserProfileByEmail(this.db, email);
    if (!user) throw inviteeNotFound();
    const current = await RoomParticipant.query(this.db).findOne({ roomId, membershipId: user.id }).whereNull('leftAt');
    if (current) throw alreadyParticipant();
    const pending = await RoomInvitation.query(this.db)
      .findOne({ roomId, inviteeMembershipId: user.id, status: 'pending' })
      .where('expiresAt', '>', this.clock.now());
    return {
      description: null,
      displayName: user.name,
      kind: 'human',
      membershipId: user.id,
      profilePictureUrl: user.image,
      roleDocumentId: null,
      status: pending ? 'invited' : 'available',
      userId: user.id,
      version: null,
    };
  }

  /**
   * For each listing, the role it had the last time it joined a room the caller is in (none, if it had none
   * then), with that document's latest version.
   */
  private async lastRoles(
    db: Db,
    userId: string,
    listingIds: string[],
  ): Promise<Map<string, { documentId: string; version: number } | null>> {
    if (listingIds.length === 0) return new Map();
    const rows = await RoomParticipant.query(db)
      .alias('a')
      .join('room_participants as me', (j) =>
        j.on('me.roomId', 'a.roomId').andOnVal('me.participantKind', 'human').andOnVal('me.membershipId', userId),
      )
      .leftJoin('room_documents as d', 'd.id', 'a.roleDocumentId')
      .whereIn('a.membershipId', listingIds)
      .where('a.participantKind', 'agent')
      .select('a.membershipId', 'a.roleDocumentId', 'd.latestVersion')
      .orderBy([
        { column: 'a.joinedAt', order: 'desc' },
        { column: 'a.id', order: 'desc' },
      ]);
    const roles = new Map<string, { documentId: string; version: number } | null>();
    for (const r of rows as Array<RoomParticipant & { latestVersion: number | null }>) {
      if (roles.has(r.membershipId)) continue;
      roles.set(r.membershipId, r.roleDocumentId ? { documentId: r.roleDocumentId, version: r.latestVersion! } : null);
    }
    return roles;
  }
}
