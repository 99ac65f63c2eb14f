// Wallets and their immutable ledger. Balances are integer hundredths of a credit. Every user has a wallet
// from sign-up: a trigger creates it in the sign-up's own transaction (and existing users get one here).
import type { Knex } from 'knex';
import { runScript } from '../../platform/sql.js';

export async function up(knex: Knex): Promise<void> {
  await runScript(
    knex,
    `
    create table wallets (
      user_id uuid primary key references users (id) on delete cascade,
      balance_minor bigint not null default 0 check (balance_minor >= 0),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    insert into wallets (user_id, created_at, updated_at) select id, created_at, created_at from users;

    create function wallets_create_for_user() returns trigger language plpgsql as $$
    begin
      insert into wallets (user_id, created_at, updated_at) values (new.id, new.created_at, new.created_at);
      return null;
    end $$;
    create trigger users_create_wallet after insert on users for each row execute function wallets_create_for_user();

    create table ledger_entries (
      id uuid primary key default gen_random_uuid(),
      -- insertion order: a wallet's entries are written one at a time under its row lock, so this orders them
      seq bigint generated always as identity,
      user_id uuid not null references wallets (user_id) on delete cascade,
      amount_minor bigint not null check (amount_minor <> 0),
      balance_after_minor bigint not null check (balance_after_minor >= 0),
      kind text not null check (kind in ('credit', 'join_fee', 'monthly_fee', 'agent_call_fee', 'refund', 'fee_income')),
      description text not null,
      reference_type text,
      reference_id uuid,
      created_at timestamptz not null default now()
    );
    create index ledger_entries_user_recent_idx on ledger_entries (user_id, seq desc);
  `,
  );
}

export async function down(knex: Knex): Promise<void> {
  await runScript(
    knex,
    `
    drop trigger if exists users_create_wallet on users;
    drop function if exists wallets_create_for_user();
    drop table if exists ledger_entries, wallets cascade;
  `,
  );
}
