// Customer-service and lounge conversations: one per customer and community, and their messages.
import type { Knex } from 'knex';
import { runScript } from '../../platform/sql.js';

export async function up(knex: Knex): Promise<void> {
  await runScript(
    knex,
    `
    create table conversations (
      id uuid primary key default gen_random_uuid(),
      community_id uuid not null references communities (id) on delete cascade,
      customer_id uuid not null references users (id) on delete cascade,
      status text not null check (status in ('ai_active', 'waiting_human', 'human_active', 'resolved')),
      assigned_cs_id uuid references users (id) on delete set null,
      -- the createdAt of the newest message: the next one is strictly later (a row-locked counter)
      last_message_at timestamptz,
      created_at timestamptz not null default now(),
      -- when the conversation entered its current status or assignment: the queue's waiting time
      updated_at timestamptz not null default now(),
      unique (community_id, customer_id)
    );
    -- The CS queue: status priority, then waiting time.
    create index conversations_queue_idx on conversations (community_id, (case status when 'waiting_human' then 0 when 'human_active' then 1 when 'ai_active' then 2 else 3 end), updated_at, id);
    create index conversations_assigned_idx on conversations (assigned_cs_id) where status = 'human_active';

    create table conversation_messages (
      id uuid primary key default gen_random_uuid(),
      conversation_id uuid not null references conversations (id) on delete cascade,
      sender_kind text not null check (sender_kind in ('customer', 'cs_agent', 'ai', 'system')),
      sender_id uuid references users (id) on delete set null,
      agent_listing_id uuid,
      content text not null,
      tts_audio_id uuid,
      created_at timestamptz not null,
      unique (conversation_id, created_at)
    );
  `,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table if exists conversation_messages, conversations cascade');
}
