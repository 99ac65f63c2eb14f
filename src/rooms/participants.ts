// Participants: the list, leaving, removal by the owner, agents' roles, joining (from an accepted
// invitation), and what happens to agent participants when their listing is deleted. A membership that ends
// (leaving, removal) revokes the pending invitations the person created, and records the seq of its end
// (`leftSeq`): only an invitation created after it brings them back (invitations.ts).
import type { Knex } from 'knex';
import type * as T from '../../generated/server/schemas.gen.js';
import type { Clock } from '../platform/clock.js';
import type { OffsetQuery } from '../platform/pages.js';
import type { Principal } from '../platform/principal.js';
import { inTransaction, type Transaction } from '../platform/transactions.js';
import { isCurrent, requireActive, type RoomAccess } from './access.js';
import type { DocumentsService } from './documents.js';
import {
  cannotRemoveOwner,
  notAnAgent,
  notAParticipant,
  ownerCannotLeave,
  participantNotActive,
  participantNotFound,
} from './errors.js';
import { humanActor, SYSTEM, type Actor, type EventLog } from './event-log.js';
import { Room, RoomInvitation, RoomParticipant, type Kind } from './models.js';
import { syncAgentEnabled } from './queries.js';
import type { Revocations } from './revocations.js';
import type { RunsQueue } from './runs.js';
import { toParticipant } from './wire.js';

/** Who joins: a user, or an agent listing (with its role). */
export interface Joiner {
  kind: Kind;
  membershipId: string;
  displayName: string;
  profilePictureUrl: string | null;
  roleDocumentId: string | null;
}

export class ParticipantsService {
  constructor(
    private readonly db: Knex,
    private readonly clock: Clock,
    private readonly access: RoomAccess,
    private readonly eventLog: EventLog,
    private readonly documents: DocumentsService,
    private readonly runs: RunsQueue,
    private readonly revocations: Revocations,
  ) {}

  /** A page of everyone who ever joined, in the order they first joined. */
  async list(principal: Principal, roomId: string, { limit, offset }: OffsetQuery): Promise<T.RoomParticipantList> {
    await this.access.current(this.db, principal, roomId);
    const rows = await RoomParticipant.query(this.db)
      .where('roomId', roomId)
      .orderBy([{ column: 'createdAt' }, { column: 'id' }])
      .limit(limit)
      .offset(offset);
    return { items: rows.map(toParticipant) };
  }

  /** Leaves (idempotent); allowed in an archived room. The pending invitations the caller created are revoked. */
  async leave(principal: Principal, roomId: string, trx?: Transaction): Promise<T.RoomParticipant> {
    return inTransaction(this.db, trx, async (t) => {
      const { room, participant } = await this.access.load(t, principal, roomId, { lock: true });
      if (!participant) throw notAParticipant();
      if (room.ownerId === participant.membershipId) throw ownerCannotLeave();
      if (!isCurrent(participant)) return toParticipant(participant);
      const actor = humanActor(principal.user);
      const event = await this.eventLog.append(t, roomId, {
        type: 'participant.left',
        actor,
        subject: { kind: 'participant', id: participant.id },
        payload: { participantId: participant.id },
        fallbackText: `${participant.displayName} left the room`,
      });
      const left = await this.markLeft(t, participant, event.seq);
      await this.revocations.createdBy(
        t,
        roomId,
        { id: principal.user.id, name: participant.displayName },
        actor,
        'inviter_left',
      );
      return toParticipant(left);
    });
  }

  /**
   * The owner removes a participant (idempotent): a person's pending invitations are revoked, an agent's open
   * runs cancelled.
   */
  async remove(
    principal: Principal,
    roomId: string,
    participantId: string,
    trx?: Transaction,
  ): Promise<T.RoomParticipant> {
    return inTransaction(this.db, trx, async (t) => {
      const { room } = await this.access.owner(t, principal, roomId, { lock: true });
      const target = await this.find(t, roomId, participantId);
      if (target.participantKind === 'human' && target.membershipId === room.ownerId) throw cannotRemoveOwner();
      if (!isCurrent(target)) return toParticipant(target);
      requireActive(room);
      const actor = humanActor(principal.user);
      const event = await this.eventLog.append(t, roomId, {
        type: 'participant.removed',
        actor,
        subject: { kind: 'participant', id: target.id },
        payload: { participantId: target.id },
        fallbackText: `${principal.user.name} removed ${target.displayName}`,
      });
      const removed = await this.markLeft(t, target, event.seq);
      if (target.participantKind === 'human') {
        await this.revocations.createdBy(
          t,
          roomId,
          { id: target.membershipId, name: target.displayName },
          actor,
          'inviter_removed',
        );
      } else {
        await this.runs.cancelOpen(t, roomId, target);
      }
      return toParticipant(removed);
    });
  }

  /** Gives an agent another role; the same role again changes nothing and appends nothing. */
  async updateAgentRole(
    principal: Principal,
    roomId: string,
    participantId: string,
    roleDocumentId: string,
    trx?: Transaction,
  ): Promise<T.RoomParticipant> {
    return inTransaction(this.db, trx, async (t) => {
      const { room } = await this.access.owner(t, principal, roomId, { lock: true });
      const target = await this.find(t, roomId, participantId);
      requireActive(room);
      if (target.participantKind !== 'agent') throw notAnAgent();
      if (!isCurrent(target)) throw participantNotActive();
      const version = await this.documents.referenced(t, 'agent_role', roleDocumentId, 'roleDocumentId');
      if (target.roleDocumentId === roleDocumentId) return toParticipant(target);
      const updated = await RoomParticipant.query(t).patchAndFetchById(target.id, {
        roleDocumentId,
        updatedAt: this.clock.now(),
      });
      await this.eventLog.append(t, roomId, {
        type: 'participant.agent_role_changed',
        actor: humanActor(principal.user),
        subject: { kind: 'participant', id: target.id },
        payload: {
          participantId: target.id,
          roleDocumentId,
          previousRoleDocumentId: target.roleDocumentId,
          roleDocumentVersionId: version.id,
        },
        fallbackText: `${principal.user.name} gave ${target.displayName} the role ${version.displayName}`,
      });
      return toParticipant(updated);
    });
  }

  /**
   * Admits `who` (in the caller's transaction, the room row already locked): a former participant gets
   * their participant back, with `leftAt` cleared. `announce` appends the `participant.joined` that follows.
   */
  async admit(t: Transaction, roomId: string, who: Joiner): Promise<RoomParticipant> {
    const now = this.clock.now();
    const fields = {
      displayName: who.displayName,
      profilePictureUrl: who.profilePictureUrl,
      roleDocumentId: who.roleDocumentId,
      agentEnabled: who.kind === 'agent',
      joinedAt: now,
      leftAt: null,
      leftSeq: null,
      updatedAt: now,
    };
    const existing = await RoomParticipant.query(t).findOne({ roomId, membershipId: who.membershipId });
    return existing
      ? RoomParticipant.query(t).patchAndFetchById(existing.id, fields)
      : RoomParticipant.query(t).insertAndFetch({
          roomId,
          participantKind: who.kind,
          membershipId: who.membershipId,
          createdAt: now,
          ...fields,
        });
  }

  async announce(t: Transaction, participant: RoomParticipant, invitationId: string, actor: Actor): Promise<void> {
    const roleVersion = participant.roleDocumentId
      ? await this.documents.latest(t, participant.roleDocumentId)
      : undefined;
    await this.eventLog.append(t, participant.roomId, {
      type: 'participant.joined',
      actor,
      subject: { kind: 'participant', id: participant.id },
      payload: {
        participantId: participant.id,
        participantKind: participant.participantKind,
        membershipId: participant.membershipId,
        invitationId,
        ...(participant.participantKind === 'agent'
          ? { roleDocumentId: participant.roleDocumentId, roleDocumentVersionId: roleVersion?.id ?? null }
          : {}),
      },
      fallbackText: `${participant.displayName} joined the room`,
    });
  }

  /**
   * An agent listing is being deleted (called by AgentListingsService.delete, in its transaction): its
   * current participants leave (`participant.left`, system actor) with their open runs cancelled, every
   * participant of it is no longer `agentEnabled`, and its pending invitations are revoked. Rooms are
   * locked in id order, so two concurrent deletions cannot deadlock.
   */
  async agentListingDeleted(t: Transaction, listingId: string): Promise<void> {
    const now = this.clock.now();
    const rows = await RoomParticipant.query(t).where({ participantKind: 'agent', membershipId: listingId });
    const pending = await RoomInvitation.query(t)
      .where({ inviteeKind: 'agent', inviteeMembershipId: listingId, status: 'pending' })
      .where('expiresAt', '>', now);
    const roomIds = [
      ...new Set([...rows.filter(isCurrent).map((p) => p.roomId), ...pending.map((i) => i.roomId)]),
    ].sort();
    for (const roomId of roomIds) {
      await Room.query(t).findById(roomId).forUpdate();
      for (const invitation of pending.filter((i) => i.roomId === roomId)) {
        await this.revocations.revoke(
          t,
          invitation,
          SYSTEM,
          'agent_listing_deleted',
          'An invitation was revoked: the agent was deleted',
        );
      }
      const participant = rows.find((p) => p.roomId === roomId && isCurrent(p));
      if (!participant) continue;
      const event = await this.eventLog.append(t, roomId, {
        type: 'participant.left',
        actor: SYSTEM,
        subject: { kind: 'participant', id: participant.id },
        payload: { participantId: participant.id, reason: 'agent_listing_deleted' },
        fallbackText: `${participant.displayName} left the room: the agent was deleted`,
      });
      await this.markLeft(t, participant, event.seq);
      await this.runs.cancelOpen(t, roomId, participant);
    }
    await RoomParticipant.query(t)
      .where({ participantKind: 'agent', membershipId: listingId })
      .patch({ agentEnabled: false });
  }

  /**
   * An agent listing became public or private (called by AgentListingsService.update, in its transaction): its
   * participants are `agentEnabled` exactly where the room's owner may use it (it is public, or theirs).
   * Rows whose flag changes get a new `updatedAt`.
   */
  async agentListingVisibilityChanged(
    t: Transaction,
    listing: { id: string; ownerId: string; isPublic: boolean },
  ): Promise<void> {
    await syncAgentEnabled(t, listing, this.clock.now());
  }

  private async find(t: Transaction, roomId: string, participantId: string): Promise<RoomParticipant> {
    const participant = await RoomParticipant.query(t).findOne({ id: participantId, roomId });
    if (!participant) throw participantNotFound();
    return participant;
  }

  /** Ends the membership, at `seq`: the event that ended it. */
  private async markLeft(t: Transaction, participant: RoomParticipant, seq: string | number): Promise<RoomParticipant> {
    const now = this.clock.now();
    return RoomParticipant.query(t).patchAndFetchById(participant.id, { leftAt: now, leftSeq: seq, updatedAt: now });
  }
}
