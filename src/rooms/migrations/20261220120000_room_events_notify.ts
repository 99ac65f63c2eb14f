// Live delivery of room events: every committed insert into room_events sends `NOTIFY room_events,
// '<room_id>:<seq>'`. PostgreSQL delivers notifications only at commit, in commit order, to every session
// listening on the database, whichever process wrote the row, and drops those of a rolled-back
// transaction; the payload carries ids only, the listeners read the rows. PGlite delivers them the same
// way within its process.
import type { Knex } from 'knex';
import { runScript } from '../../platform/sql.js';

export async function up(knex: Knex): Promise<void> {
  await runScript(
    knex,
    `
    create function room_events_notify() returns trigger language plpgsql as $$
    begin
      perform pg_notify('room_events', new.room_id::text || ':' || new.seq::text);
      return null;
    end
    $$;
    create trigger room_events_notify after insert on room_events
      for each row execute function room_events_notify();
  `,
  );
}

export async function down(knex: Knex): Promise<void> {
  await runScript(
    knex,
    `
    drop trigger room_events_notify on room_events;
    drop function room_events_notify();
  `,
  );
}
