// Communities (clubs, official communities and lounges), their members, agents, messages, the agent calls
// members pay for and the paid months of their subscriptions. Fees are integer hundredths of a credit.
import type { Knex } from 'knex';
import { runScript } from '../../platform/sql.js';

export async function up(knex: Knex): Promise<void> {
  await runScript(
    knex,
    `
    create table communities (
      id uuid primary key default gen_random_uuid(),
      creator_id uuid not null references users (id) on delete cascade,
      name text not null,
      description text,
      type text not null check (type in ('official', 'club', 'lounge')),
      category text,
      avatar_url text,
      join_fee_minor bigint not null default 0 check (join_fee_minor >= 0),
      monthly_fee_minor bigint not null default 0 check (monthly_fee_minor >= 0),
      agent_call_fee_minor bigint not null default 0 check (agent_call_fee_minor >= 0),
      cs_mode text not null default 'ai_only' check (cs_mode in ('ai_only', 'human_only', 'hybrid')),
      default_agent_listing_id uuid references agent_listings (id) on delete set null,
      status text not null default 'active' check (status in ('active', 'archived')),
      is_verified boolean not null default false,
      member_count integer not null default 0 check (member_count >= 0),
      -- the createdAt of the newest message: the next one is strictly later (a row-locked counter)
      last_message_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index communities_active_recent_idx on communities (created_at desc, id desc) where status = 'active';
    create index communities_active_type_idx on communities (type, created_at desc, id desc) where status = 'active';
    create index communities_name_trgm_idx on communities using gin (name public.gin_trgm_ops) where status = 'active';
    create index communities_creator_idx on communities (creator_id, created_at desc);

    create table community_members (
      id uuid primary key default gen_random_uuid(),
      community_id uuid not null references communities (id) on delete cascade,
      user_id uuid not null references users (id) on delete cascade,
      role text not null check (role in ('creator', 'moderator', 'cs_agent', 'member')),
      subscription_status text not null check (subscription_status in ('active', 'past_due', 'cancelled', 'none')),
      -- the end of the paid month (subscription active or past due); renewals are due from then
      paid_until timestamptz,
      joined_at timestamptz not null default now(),
      unique (community_id, user_id)
    );
    create index community_members_user_idx on community_members (user_id, joined_at desc);
    create index community_members_due_idx on community_members (paid_until) where subscription_status in ('active', 'past_due');

    -- One row per member, community and paid month: the natural key that makes a month chargeable once.
    create table community_paid_months (
      community_id uuid not null references communities (id) on delete cascade,
      user_id uuid not null references users (id) on delete cascade,
      starts_at timestamptz not null,
      ends_at timestamptz not null,
      created_at timestamptz not null default now(),
      primary key (community_id, user_id, starts_at)
    );

    create table community_agents (
      id uuid primary key default gen_random_uuid(),
      community_id uuid not null references communities (id) on delete cascade,
      listing_id uuid not null references agent_listings (id) on delete cascade,
      added_at timestamptz not null default now(),
      unique (community_id, listing_id)
    );

    create table community_messages (
      id uuid primary key default gen_random_uuid(),
      community_id uuid not null references communities (id) on delete cascade,
      user_id uuid references users (id) on delete set null,
      -- no foreign key: a deleted listing's past replies keep its id and name
      agent_listing_id uuid,
      agent_name text,
      content text not null,
      message_type text not null check (message_type in ('text', 'agent', 'system')),
      tts_audio_id uuid,
      created_at timestamptz not null,
      unique (community_id, created_at)
    );

    create table agent_calls (
      id uuid primary key default gen_random_uuid(),
      community_id uuid not null references communities (id) on delete cascade,
      user_id uuid not null references users (id) on delete cascade,
      listing_id uuid,
      fee_minor bigint not null,
      -- charged: debited, still refundable; settled: the creator was paid; refunded; free: nothing charged
      status text not null check (status in ('charged', 'settled', 'refunded', 'free')),
      created_at timestamptz not null default now()
    );
  `,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(
    'drop table if exists agent_calls, community_messages, community_agents, community_paid_months, community_members, communities cascade',
  );
}
