// Indexes that serve the paged lists in their documented order, with the tie-breaker: a community's members
// (joined_at, id), its agents (added_at, id), a creator's communities and a user's memberships (newest first,
// then id). The last two replace indexes that stopped at the timestamp.
import type { Knex } from 'knex';
import { runScript } from '../../platform/sql.js';

export async function up(knex: Knex): Promise<void> {
  await runScript(
    knex,
    `
    create index community_members_page_idx on community_members (community_id, joined_at, id);
    create index community_agents_page_idx on community_agents (community_id, added_at, id);
    drop index communities_creator_idx;
    create index communities_creator_idx on communities (creator_id, created_at desc, id desc);
    drop index community_members_user_idx;
    create index community_members_user_idx on community_members (user_id, joined_at desc, community_id desc);
  `,
  );
}

export async function down(knex: Knex): Promise<void> {
  await runScript(
    knex,
    `
    drop index if exists community_members_page_idx;
    drop index if exists community_agents_page_idx;
    drop index if exists communities_creator_idx;
    create index communities_creator_idx on communities (creator_id, created_at desc);
    drop index if exists community_members_user_idx;
    create index community_members_user_idx on community_members (user_id, joined_at desc);
  `,
  );
}
