// Voice cloning downloads a user's URL, so it runs outside any transaction (src/lounge/voice-cloning.ts): a
// job is claimed in one statement (`pending` -> `training`, with a claim id and a lease on the database's
// clock), the samples are fetched and cloned with no connection held, and the outcome is written by a second
// statement only while the claim still holds. A `training` job whose lease ran out (its process died) is
// claimed again by any instance; `clone_attempts` stops a job that keeps killing its process.
import type { Knex } from 'knex';
import { runScript } from '../../platform/sql.js';

export async function up(knex: Knex): Promise<void> {
  await runScript(
    knex,
    `
    alter table lounges
      add column clone_claim uuid,
      add column clone_claimed_until timestamptz,
      add column clone_attempts integer not null default 0;
    update lounges set voice_model_status = 'pending' where voice_model_status = 'training'; -- none before claims existed
    alter table lounges add constraint lounges_clone_claim_check
      check ((voice_model_status = 'training') = (clone_claim is not null and clone_claimed_until is not null));
    drop index if exists lounges_cloning_idx;
    create index lounges_cloning_idx on lounges (clone_claimed_until nulls first) where voice_model_status in ('pending', 'training');
  `,
  );
}

export async function down(knex: Knex): Promise<void> {
  await runScript(
    knex,
    `
    drop index if exists lounges_cloning_idx;
    update lounges set voice_model_status = 'pending' where voice_model_status = 'training';
    alter table lounges drop constraint if exists lounges_clone_claim_check;
    alter table lounges drop column if exists clone_attempts, drop column if exists clone_claimed_until, drop column if exists clone_claim;
    create index lounges_cloning_idx on lounges (community_id) where voice_model_status = 'pending';
  `,
  );
}
