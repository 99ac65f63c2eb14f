// Idempotency keys (src/platform/idempotency.ts): one row per (principal, operation, target, key), written in
// the transaction of the effect it records.
import type { Knex } from 'knex';
import { runScript } from '../sql.js';

export async function up(knex: Knex): Promise<void> {
  await runScript(
    knex,
    `
    create table idempotency_keys (
      principal_id uuid not null,
      operation_id text not null,
      target text not null,                   -- the path parameter that scopes the key ('' when none)
      key text not null,
      request_hash text not null,             -- sha256 of the request minus the key: a reuse must match it
      status integer,                         -- null only inside the transaction that records the effect
      body jsonb,
      created_at timestamptz not null default now(),
      primary key (principal_id, operation_id, target, key)
    );
    create index idempotency_keys_created_idx on idempotency_keys (created_at);
  `,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table if exists idempotency_keys');
}
