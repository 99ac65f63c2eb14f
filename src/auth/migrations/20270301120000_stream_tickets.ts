// Stream tickets: short-lived credentials for one room's stream, put in its URL by browsers' EventSource.
import type { Knex } from 'knex';
import { runScript } from '../../platform/sql.js';

export async function up(knex: Knex): Promise<void> {
  await runScript(
    knex,
    `
    create table stream_tickets (
      id uuid primary key default gen_random_uuid(),
      token_hash text not null unique,        -- sha256 of the ticket; the ticket itself is never stored
      user_id uuid not null references users (id) on delete cascade,
      -- the session or API key that asked for it: the ticket works only while that does
      credential_kind text not null check (credential_kind in ('session', 'api_key')),
      credential_id uuid not null,
      room_id uuid not null,                  -- the only stream it opens (the rooms area checks it; no foreign key across areas)
      created_at timestamptz not null default now(),
      expires_at timestamptz not null         -- pushed on while a stream uses it
    );
    create index stream_tickets_user_idx on stream_tickets (user_id, expires_at);
  `,
  );
}

export async function down(knex: Knex): Promise<void> {
  await runScript(
    knex,
    `
    drop table if exists stream_tickets;
  `,
  );
}
