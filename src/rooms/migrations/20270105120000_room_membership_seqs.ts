// Where memberships and invitations sit in the room's log, so "created after they left" is exact: the seq of
// an invitation's `invitation.created`, and of the `participant.left` / `participant.removed` that ended a
// participant's latest membership (null while current, or never left). Timestamps would not do: two writes
// can share a millisecond, and a clock can step back. Existing rows are filled from the log.
import type { Knex } from 'knex';
import { runScript } from '../../platform/sql.js';

export async function up(knex: Knex): Promise<void> {
  await runScript(
    knex,
    `
    alter table room_invitations add column created_seq bigint;
    alter table room_participants add column left_seq bigint;

    update room_invitations i set created_seq = e.seq
      from room_events e
      where e.room_id = i.room_id and e.subject_id = i.id and e.type = 'invitation.created';
    update room_participants p set left_seq = (
        select max(e.seq) from room_events e
        where e.room_id = p.room_id and e.subject_id = p.id and e.type in ('participant.left', 'participant.removed'))
      where p.left_at is not null;
  `,
  );
}

export async function down(knex: Knex): Promise<void> {
  await runScript(
    knex,
    `
    alter table room_participants drop column left_seq;
    alter table room_invitations drop column created_seq;
  `,
  );
}
