// VirtuousAI Rooms: shared versioned documents (rules, agent roles), rooms with their row-locked event
// counter, participants (humans by user id, agents by agent listing id), invitations, messages, the event
// log and the agent runs a mention queues (executed by the run worker, src/rooms/run-worker.ts).
import type { Knex } from 'knex';
import { runScript } from '../../platform/sql.js';

export async function up(knex: Knex): Promise<void> {
  await runScript(
    knex,
    `
    create table room_documents (
      id uuid primary key default gen_random_uuid(),
      kind text not null check (kind in ('rules', 'agent_role')),
      creator_id uuid not null references users (id) on delete cascade,
      description text,
      -- the latest version's name and number, kept with the version insert (row-locked) for the lists
      display_name text not null,
      latest_version integer not null check (latest_version >= 1),
      created_at timestamptz not null,
      updated_at timestamptz not null
    );
    create index room_documents_kind_name_idx on room_documents (kind, lower(display_name), id);

    create table room_document_versions (
      id uuid primary key default gen_random_uuid(),
      document_id uuid not null references room_documents (id) on delete cascade,
      version integer not null check (version >= 1),
      display_name text not null,
      body text not null,
      created_at timestamptz not null,
      unique (document_id, version)
    );

    create table rooms (
      id uuid primary key default gen_random_uuid(),
      owner_id uuid not null references users (id) on delete cascade,
      name text not null,
      description text,
      access_policy text not null default 'invite_only' check (access_policy in ('invite_only')),
      rules_document_id uuid references room_documents (id),
      state text not null default 'active' check (state in ('active', 'archived')),
      created_by_kind text not null check (created_by_kind in ('human', 'agent')),
      created_by_membership_id uuid not null,
      created_by_display_name text not null,
      created_by_role_document_version_id uuid references room_document_versions (id),
      archived_at timestamptz,
      archived_by_kind text check (archived_by_kind in ('human', 'agent')),
      archived_by_membership_id uuid,
      archived_by_display_name text,
      archived_by_role_document_version_id uuid references room_document_versions (id),
      -- the seq of the room's latest event: the next event takes last_seq + 1 under this row's lock
      last_seq bigint not null default 0 check (last_seq >= 0),
      created_at timestamptz not null,
      updated_at timestamptz not null
    );

    create table room_participants (
      id uuid primary key default gen_random_uuid(),
      room_id uuid not null references rooms (id) on delete cascade,
      participant_kind text not null check (participant_kind in ('human', 'agent')),
      -- a user id (human) or an agent listing id (agent); no foreign key, so a deleted listing's participant
      -- stays to name the author of its past messages and events
      membership_id uuid not null,
      display_name text not null,
      profile_picture_url text,
      role_document_id uuid references room_documents (id),
      agent_enabled boolean not null default false,
      joined_at timestamptz not null,
      left_at timestamptz,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      unique (room_id, membership_id)
    );
    create index room_participants_member_idx on room_participants (membership_id, room_id) where left_at is null;

    create table room_invitations (
      id uuid primary key default gen_random_uuid(),
      room_id uuid not null references rooms (id) on delete cascade,
      invitee_kind text not null check (invitee_kind in ('human', 'agent')),
      invitee_membership_id uuid,
      role_document_id uuid references room_documents (id),
      invited_by_user_id uuid not null,
      -- 'expired' is not stored: a pending invitation past expires_at is reported (and refused) as expired
      status text not null default 'pending' check (status in ('pending', 'accepted', 'revoked')),
      expires_at timestamptz not null,
      responded_at timestamptz,
      accepted_participant_id uuid references room_participants (id),
      accepted_by_user_id uuid,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      check (invitee_kind = 'human' or invitee_membership_id is not null)
    );
    create index room_invitations_room_idx on room_invitations (room_id, created_at desc, id desc);
    create index room_invitations_invitee_idx on room_invitations (invitee_membership_id) where status = 'pending';

    create table room_events (
      id uuid primary key default gen_random_uuid(),
      room_id uuid not null references rooms (id) on delete cascade,
      seq bigint not null check (seq >= 1),
      type text not null,
      schema_version integer not null default 1,
      actor_kind text not null check (actor_kind in ('human', 'agent', 'system')),
      actor_membership_id uuid,
      actor_display_name text not null,
      actor_role_document_version_id uuid,
      subject_kind text not null check (subject_kind in ('room', 'participant', 'invitation', 'message', 'run')),
      subject_id uuid not null,
      payload jsonb not null default '{}',
      fallback_text text not null,
      slot text not null check (slot in ('timeline', 'inline', 'hidden')),
      created_at timestamptz not null,
      unique (room_id, seq)
    );

    create table room_messages (
      id uuid primary key,
      room_id uuid not null references rooms (id) on delete cascade,
      -- the seq of its message.posted event
      seq bigint not null,
      participant_id uuid not null references room_participants (id),
      actor_kind text not null check (actor_kind in ('human', 'agent')),
      actor_membership_id uuid not null,
      actor_display_name text not null,
      actor_role_document_version_id uuid references room_document_versions (id),
      actor_role_document_version integer,
      body text not null,
      body_format text not null check (body_format in ('plain_text', 'markdown')),
      refs jsonb not null default '[]',
      branched_from_message_id uuid references room_messages (id),
      run_summary jsonb,
      edited_at timestamptz,
      deleted_at timestamptz,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      unique (room_id, seq),
      foreign key (room_id, seq) references room_events (room_id, seq)
    );

    create table room_runs (
      id uuid primary key default gen_random_uuid(),
      room_id uuid not null references rooms (id) on delete cascade,
      participant_id uuid not null references room_participants (id),
      trigger_message_id uuid not null references room_messages (id),
      status text not null check (status in ('queued', 'running', 'completed', 'failed', 'cancelled')),
      role_document_version_id uuid references room_document_versions (id),
      error text,
      tool_call_count integer not null default 0,
      reply_message_id uuid references room_messages (id),
      started_at timestamptz,
      completed_at timestamptz,
      created_at timestamptz not null,
      updated_at timestamptz not null
    );
    create index room_runs_open_idx on room_runs (room_id, participant_id) where status in ('queued', 'running');
  `,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(
    'drop table if exists room_runs, room_messages, room_events, room_invitations, room_participants, rooms, room_document_versions, room_documents cascade',
  );
}
