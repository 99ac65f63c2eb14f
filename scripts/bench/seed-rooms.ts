// The Rooms rows' data (called by seed.ts when --only names one of them): a busy room the guest posts to, 100
// rooms the guest posts to in turn, and two rooms whose timeline the owner pages through, one with 1,000
// events and one with 100,000.
//
// Through the real services: the rooms (RoomsService.create: room.created and the owner's participant.joined),
// the guest's invitation to the busy room and the 100 others and its acceptance (InvitationsService create /
// accept), and the busy room's first 200 messages (MessagesService.post, alternating owner and guest, one at a
// time: their times say how long a post holds the room's row lock).
// Bulk SQL for volume: the timeline rooms' events and messages, one INSERT ... SELECT per 10,000: gapless seq
// continuing after the two service-made events up to the room's size, every one a `message.posted` by the
// owner with its message row at the same seq (as MessagesService.post writes them, payload included), then
// the room's `last_seq` counter set to the last seq. Their created_at is a day back, 1 ms apart.
import type { Knex } from 'knex';
import type { Principal } from '../../src/platform/principal.js';
import type { Services } from '../../src/services.js';

export const TIMELINE_SIZES = [1_000, 100_000];
export const SPREAD_ROOMS = 100;

export interface SeededRooms {
  busyRoomId: string;
  busyMessages: number;
  /**
   * One post's transaction through MessagesService.post, one at a time (p50 of the busy room's 200, ms): the
   * room's row is locked from its first statement to its commit, so one room commits at most 1000 / this posts/s.
   */
  postTransactionMs: number;
  /** The guest: a current participant of the busy room and of the spread rooms (posts there). */
  posterToken: string;
  /** SPREAD_ROOMS rooms of the owner with the guest as a participant: the posts spread over them. */
  spreadRoomIds: string[];
  /** Room id per timeline size (events in the log); the owner reads them. */
  timelineRoomIds: Record<string, string>;
  roomsMs: number;
}

const BATCH = 10_000;

export async function seedRooms(
  knex: Knex,
  services: Services,
  owner: Principal,
  guest: { token: string; principal: Principal },
): Promise<SeededRooms> {
  const started = performance.now();
  const sharedRoom = async (name: string) => {
    const room = await services.rooms.rooms.create(owner, { name });
    const invitation = await services.rooms.invitations.create(owner, room.id, {
      inviteeKind: 'human',
      inviteeMembershipId: guest.principal.user.id,
    });
    await services.rooms.invitations.accept(guest.principal, room.id, invitation.id);
    return room.id;
  };
  const busyRoomId = await sharedRoom('Bench busy room');
  const busyMessages = 200;
  const postMs: number[] = [];
  for (let n = 0; n < busyMessages; n++) {
    const mark = performance.now();
    await services.rooms.messages.post(
      n % 2 ? guest.principal : owner,
      busyRoomId,
      `Seeded message ${n} from the service`,
    );
    postMs.push(performance.now() - mark);
  }
  const postTransactionMs = postMs.sort((a, b) => a - b)[Math.floor(postMs.length / 2)]!;
  const spreadRoomIds: string[] = [];
  for (let n = 0; n < SPREAD_ROOMS; n++) spreadRoomIds.push(await sharedRoom(`Bench spread room ${n + 1}`));

  const timelineRoomIds: Record<string, string> = {};
  for (const size of TIMELINE_SIZES) {
    const room = await services.rooms.rooms.create(owner, { name: `Bench timeline room (${size} events)` });
    const [{ lastSeq }] = await knex('rooms').where('id', room.id).select('lastSeq');
    const participant = await knex('room_participants')
      .where({ roomId: room.id, membershipId: owner.user.id })
      .first('id');
    const name = owner.user.name;
    for (let from = Number(lastSeq) + 1; from <= size; from += BATCH) {
      const to = Math.min(size, from + BATCH - 1);
      // One event per seq, its message at the same seq (ids drawn once per row, shared by both inserts).
      await knex.raw(
        `
        with rows as (
          select gen_random_uuid() as message_id, s as seq, now() - interval '1 day' + make_interval(secs => s / 1000.0) as at
          from generate_series(?::bigint, ?::bigint) as s
        ), events as (
          insert into room_events (id, room_id, seq, type, schema_version, actor_kind, actor_membership_id, actor_display_name,
            actor_role_document_version_id, subject_kind, subject_id, payload, fallback_text, slot, created_at)
          select gen_random_uuid(), ?, seq, 'message.posted', 1, 'human', ?, ?, null, 'message', message_id,
            jsonb_build_object('messageId', message_id, 'body', 'Seeded message ' || seq, 'bodyFormat', 'plain_text', 'refs', '[]'::jsonb),
            ? || ' posted a message', 'timeline', at
          from rows returning seq
        )
        insert into room_messages (id, room_id, seq, participant_id, actor_kind, actor_membership_id, actor_display_name,
          actor_role_document_version_id, actor_role_document_version, body, body_format, refs, branched_from_message_id, run_summary,
          edited_at, deleted_at, created_at, updated_at)
        select message_id, ?, seq, ?, 'human', ?, ?, null, null, 'Seeded message ' || seq, 'plain_text', '[]'::jsonb, null, null, null, null, at, at
        from rows where seq in (select seq from events)`,
        [from, to, room.id, owner.user.id, name, `${name}`, room.id, participant.id, owner.user.id, name],
      );
    }
    await knex('rooms').where('id', room.id).update({ lastSeq: size });
    timelineRoomIds[String(size)] = room.id;
  }
  return {
    busyRoomId,
    busyMessages,
    postTransactionMs,
    posterToken: guest.token,
    spreadRoomIds,
    timelineRoomIds,
    roomsMs: Math.round(performance.now() - started),
  };
}
