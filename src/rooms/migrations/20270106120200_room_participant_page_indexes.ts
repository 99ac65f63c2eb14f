// A room's participants in the orders they are read in: all of them as they first joined (listRoomParticipants,
// a page at a time) and the current ones as they joined (the first of them embedded in every Room).
import type { Knex } from 'knex';
import { runScript } from '../../platform/sql.js';

export async function up(knex: Knex): Promise<void> {
  await runScript(
    knex,
    `
    create index room_participants_page_idx on room_participants (room_id, created_at, id);
    create index room_participants_current_idx on room_participants (room_id, joined_at, id) where left_at is null;
  `,
  );
}

export async function down(knex: Knex): Promise<void> {
  await runScript(
    knex,
    `
    drop index if exists room_participants_current_idx;
    drop index if exists room_participants_page_idx;
  `,
  );
}
