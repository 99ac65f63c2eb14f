// The run worker's columns and indexes: a heartbeat (a running run whose worker stopped beating is failed by
// the reaper), one run per agent per triggering message, the queue's claim order, and a run's tool events.
import type { Knex } from 'knex';
import { runScript } from '../../platform/sql.js';

export async function up(knex: Knex): Promise<void> {
  await runScript(
    knex,
    `
    alter table room_runs add column heartbeat_at timestamptz;
    alter table room_runs add constraint room_runs_one_per_trigger unique (trigger_message_id, participant_id);
    create index room_runs_queued_idx on room_runs (created_at, id) where status = 'queued';
    create index room_runs_running_idx on room_runs (heartbeat_at) where status = 'running';
    create index room_events_run_idx on room_events (subject_id, seq) where subject_kind = 'run';
  `,
  );
}

export async function down(knex: Knex): Promise<void> {
  await runScript(
    knex,
    `
    drop index if exists room_events_run_idx;
    drop index if exists room_runs_running_idx;
    drop index if exists room_runs_queued_idx;
    alter table room_runs drop constraint if exists room_runs_one_per_trigger;
    alter table room_runs drop column if exists heartbeat_at;
  `,
  );
}
