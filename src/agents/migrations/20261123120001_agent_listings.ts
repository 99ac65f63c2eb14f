// Agent listings: the AI agents that communities, lounges, spaces and rooms use.
import type { Knex } from 'knex';
import { runScript } from '../../platform/sql.js';

export async function up(knex: Knex): Promise<void> {
  await runScript(
    knex,
    `
    create table agent_listings (
      id uuid primary key default gen_random_uuid(),
      owner_id uuid not null references users (id) on delete cascade,
      name text not null,
      description text,
      avatar_url text,
      model text not null,
      instructions text,
      is_public boolean not null default true,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index agent_listings_owner_idx on agent_listings (owner_id);
  `,
  );
}

export async function down(knex: Knex): Promise<void> {
  await runScript(
    knex,
    `
    drop table if exists agent_listings cascade;
  `,
  );
}
