// Business verification requests of official communities, and their review (final, by an admin).
import type { Knex } from 'knex';
import { runScript } from '../../platform/sql.js';

export async function up(knex: Knex): Promise<void> {
  await runScript(
    knex,
    `
    create table verification_requests (
      id uuid primary key default gen_random_uuid(),
      community_id uuid not null references communities (id) on delete cascade,
      requester_id uuid not null references users (id) on delete cascade,
      business_name text,
      business_registration text,
      documents_url text,
      status text not null default 'pending' check (status in ('pending', 'approved', 'rejected')),
      reviewer_id uuid references users (id) on delete set null,
      reviewer_notes text,
      created_at timestamptz not null default now(),
      reviewed_at timestamptz
    );
    -- One pending request per community: concurrent submissions race on this index.
    create unique index verification_requests_one_pending_idx on verification_requests (community_id) where status = 'pending';
    create index verification_requests_recent_idx on verification_requests (created_at desc, id desc);
  `,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table if exists verification_requests');
}
