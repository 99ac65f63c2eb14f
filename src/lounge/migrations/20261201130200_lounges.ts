// Lounges: a community of type `lounge` plus its voice and subscription settings; voice time used, per reply.
import type { Knex } from 'knex';
import { runScript } from '../../platform/sql.js';

export async function up(knex: Knex): Promise<void> {
  await runScript(
    knex,
    `
    create table lounges (
      community_id uuid primary key references communities (id) on delete cascade,
      voice_samples_url text,
      voice_model_id text,
      voice_model_status text not null check (voice_model_status in ('none', 'pending', 'training', 'ready', 'failed')),
      voice_model_error text,
      free_minutes_per_day integer not null check (free_minutes_per_day between 0 and 1440),
      -- cents, which are also the wallet's minor units: 1 credit = 100 cents
      subscription_price_cents bigint not null check (subscription_price_cents >= 0)
    );
    create index lounges_cloning_idx on lounges (community_id) where voice_model_status = 'pending';

    create table lounge_voice_usage (
      id uuid primary key default gen_random_uuid(),
      lounge_id uuid not null references lounges (community_id) on delete cascade,
      user_id uuid not null references users (id) on delete cascade,
      conversation_id uuid not null references conversations (id) on delete cascade,
      duration_ms integer not null check (duration_ms >= 0),
      created_at timestamptz not null default now()
    );
    create index lounge_voice_usage_day_idx on lounge_voice_usage (lounge_id, created_at);
    create index lounge_voice_usage_member_idx on lounge_voice_usage (lounge_id, user_id, created_at);

    -- A subscription the member cancelled runs to the end of its paid month, then stops (no renewal).
    alter table community_members add column renews boolean not null default true;
  `,
  );
}

export async function down(knex: Knex): Promise<void> {
  await runScript(
    knex,
    `
    alter table community_members drop column if exists renews;
    drop table if exists lounge_voice_usage, lounges cascade;
  `,
  );
}
