// Revoking pending invitations, whoever asks: the room's owner or the invitation's creator, a membership that
// ends (what it granted and nobody used yet ends with it), an agent listing deleted. Each revocation appends
// `invitation.revoked` with its reason. The caller holds the room's row lock, in its transaction.
import type { Clock } from '../platform/clock.js';
import type { Transaction } from '../platform/transactions.js';
import type { Actor, EventLog } from './event-log.js';
import { RoomInvitation } from './models.js';

/** `room_archived` is the archive's own (rooms.ts). */
export type RevocationReason = 'manual' | 'agent_listing_deleted' | 'inviter_left' | 'inviter_removed';

export class Revocations {
  constructor(
    private readonly clock: Clock,
    private readonly eventLog: EventLog,
  ) {}

  /** Revokes one pending invitation. */
  async revoke(
    t: Transaction,
    invitation: RoomInvitation,
    actor: Actor,
    reason: RevocationReason,
    fallbackText: string,
  ): Promise<RoomInvitation> {
    const now = this.clock.now();
    const revoked = await RoomInvitation.query(t).patchAndFetchById(invitation.id, {
      status: 'revoked',
      respondedAt: now,
      updatedAt: now,
    });
    await this.eventLog.append(t, invitation.roomId, {
      type: 'invitation.revoked',
      actor,
      subject: { kind: 'invitation', id: invitation.id },
      payload: { invitationId: invitation.id, reason },
      fallbackText,
    });
    return revoked;
  }

  /** A participant left or was removed: the pending invitations they created in the room, oldest first. */
  async createdBy(
    t: Transaction,
    roomId: string,
    inviter: { id: string; name: string },
    actor: Actor,
    reason: 'inviter_left' | 'inviter_removed',
  ): Promise<void> {
    const pending = await RoomInvitation.query(t)
      .where({ roomId, invitedByUserId: inviter.id, status: 'pending' })
      .where('expiresAt', '>', this.clock.now())
      .orderBy('createdSeq');
    const why =
      reason === 'inviter_left' ? `${inviter.name} left the room` : `${inviter.name} was removed from the room`;
    for (const invitation of pending)
      await this.revoke(t, invitation, actor, reason, `An invitation was revoked: ${why}`);
  }
}
