// Audio the platform synthesised for agents' replies, served at /api/audio/{id}.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table audio_clips (
      id uuid primary key default gen_random_uuid(),
      content_type text not null,
      data bytea not null,
      created_at timestamptz not null default now()
    )`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table if exists audio_clips');
}
