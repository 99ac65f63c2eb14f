// Agent calls end in exactly one of two states (src/communities/agent-calls.ts): `settled` with the reply it
// paid for, or `refunded`. While in progress, the server running the call beats `heartbeat_at`; a call whose
// heartbeat stopped (its process died) is refunded by any instance's reaper.
// Rows from before this migration: `charged` (no chunk was sent, so not settled) becomes `in_progress` and is
// refunded by the reaper; `free` and `settled` rows are ended as `settled` without a reply id, which the
// reply check (added NOT VALID) does not hold against them.
import type { Knex } from 'knex';
import { runScript } from '../../platform/sql.js';

export async function up(knex: Knex): Promise<void> {
  await runScript(
    knex,
    `
    alter table agent_calls drop constraint agent_calls_status_check;
    alter table agent_calls
      add column user_message_id uuid references community_messages (id),
      add column reply_message_id uuid references community_messages (id),
      add column failure text,
      add column heartbeat_at timestamptz,
      add column ended_at timestamptz;
    update agent_calls set status = 'in_progress', heartbeat_at = created_at where status = 'charged';
    update agent_calls set status = 'settled', ended_at = created_at where status in ('free', 'settled');
    update agent_calls set ended_at = created_at where status = 'refunded';
    alter table agent_calls add constraint agent_calls_status_check check (status in ('in_progress', 'settled', 'refunded'));
    alter table agent_calls add constraint agent_calls_ended_check check ((status = 'in_progress') = (ended_at is null));
    alter table agent_calls add constraint agent_calls_reply_check check ((status = 'settled') = (reply_message_id is not null)) not valid;
    create index agent_calls_in_progress_idx on agent_calls (heartbeat_at) where status = 'in_progress';

    -- The monthly price each member agreed to: renewals charge at most this (a raise needs their consent).
    alter table community_members add column monthly_price_minor bigint check (monthly_price_minor >= 0);
    update community_members m set monthly_price_minor = coalesce(l.subscription_price_cents, c.monthly_fee_minor)
      from communities c left join lounges l on l.community_id = c.id
      where c.id = m.community_id and m.subscription_status in ('active', 'past_due');
  `,
  );
}

export async function down(knex: Knex): Promise<void> {
  await runScript(
    knex,
    `
    alter table community_members drop column if exists monthly_price_minor;
    drop index if exists agent_calls_in_progress_idx;
    alter table agent_calls drop constraint if exists agent_calls_reply_check;
    alter table agent_calls drop constraint if exists agent_calls_ended_check;
    alter table agent_calls drop constraint agent_calls_status_check;
    update agent_calls set status = 'charged' where status = 'in_progress';
    alter table agent_calls add constraint agent_calls_status_check check (status in ('charged', 'settled', 'refunded', 'free'));
    alter table agent_calls drop column user_message_id, drop column reply_message_id, drop column failure,
      drop column heartbeat_at, drop column ended_at;
  `,
  );
}
