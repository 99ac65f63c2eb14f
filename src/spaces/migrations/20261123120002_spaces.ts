// Spaces, their public counts, sessions and participants.
import type { Knex } from 'knex';
import { runScript } from '../../platform/sql.js';

export async function up(knex: Knex): Promise<void> {
  // Trigram indexes make `name ILIKE '%text%'` fast. The extension goes in public so that every schema
  // (one per test file on a shared server) can use it.
  await knex.raw('create extension if not exists pg_trgm with schema public');

  await runScript(
    knex,
    `
    create table spaces (
      id uuid primary key default gen_random_uuid(),
      owner_id uuid not null references users (id) on delete cascade,
      name text not null,
      description text,
      category text,
      tags text[] not null default '{}',
      definition jsonb not null default '{}',
      is_public boolean not null default true,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    -- Browsing reads public spaces newest first, optionally by category or by name.
    create index spaces_public_recent_idx on spaces (created_at desc, id desc) where is_public;
    create index spaces_public_category_idx on spaces (category, created_at desc, id desc) where is_public;
    create index spaces_public_name_trgm_idx on spaces using gin (name public.gin_trgm_ops) where is_public;
    create index spaces_owner_idx on spaces (owner_id);

    -- Exact counts of public spaces, kept in the same transaction as every change, so the browse total is
    -- one indexed row instead of count(*) over every public space. Category '' holds the count of all
    -- (a real category is at least one character).
    create table space_public_counts (
      category text primary key,
      count bigint not null
    );

    create function space_public_count_add(cat text, delta integer) returns void language plpgsql as $$
    begin
      insert into space_public_counts as c (category, count) values ('', delta)
        on conflict (category) do update set count = c.count + excluded.count;
      if cat is not null then
        insert into space_public_counts as c (category, count) values (cat, delta)
          on conflict (category) do update set count = c.count + excluded.count;
      end if;
    end $$;

    create function spaces_maintain_public_counts() returns trigger language plpgsql as $$
    begin
      if tg_op <> 'INSERT' and old.is_public then
        perform space_public_count_add(old.category, -1);
      end if;
      if tg_op <> 'DELETE' and new.is_public then
        perform space_public_count_add(new.category, 1);
      end if;
      return null;
    end $$;

    create trigger spaces_public_counts after insert or delete or update of is_public, category on spaces
      for each row execute function spaces_maintain_public_counts();

    create table space_sessions (
      id uuid primary key default gen_random_uuid(),
      space_id uuid not null references spaces (id) on delete cascade,
      status text not null default 'waiting' check (status in ('waiting', 'active', 'ended')),
      created_by uuid not null references users (id) on delete cascade,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index space_sessions_space_idx on space_sessions (space_id, created_at desc, id desc);

    create table space_participants (
      id uuid primary key default gen_random_uuid(),
      session_id uuid not null references space_sessions (id) on delete cascade,
      user_id uuid not null references users (id) on delete cascade,
      agent_id uuid references agent_listings (id) on delete cascade,
      role text not null check (role in ('host', 'player', 'spectator')),
      control_mode text not null check (control_mode in ('human', 'agent', 'shared')),
      is_connected boolean not null default true,
      joined_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      -- one participant per (session, user, agent or none): joining again reconnects it
      unique nulls not distinct (session_id, user_id, agent_id)
    );
    create index space_participants_connected_idx on space_participants (session_id) where is_connected;
  `,
  );
}

export async function down(knex: Knex): Promise<void> {
  await runScript(
    knex,
    `
    drop table if exists space_participants, space_sessions, space_public_counts, spaces cascade;
    drop function if exists spaces_maintain_public_counts(), space_public_count_add(text, integer);
  `,
  );
}
