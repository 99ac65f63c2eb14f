// Identity: users, their sessions and API keys.
import type { Knex } from 'knex';
import { runScript } from '../../platform/sql.js';

export async function up(knex: Knex): Promise<void> {
  await runScript(
    knex,
    `

    create table users (
      id uuid primary key default gen_random_uuid(),
      name text not null,
      email text not null,                    -- stored lower-cased
      image text,
      password_hash text not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create unique index users_email_key on users (email);

    create table auth_sessions (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references users (id) on delete cascade,
      token_hash text not null unique,        -- sha256 of the token; the token itself is never stored
      created_at timestamptz not null default now(),
      expires_at timestamptz not null,
      revoked_at timestamptz
    );
    create index auth_sessions_user_idx on auth_sessions (user_id);

    create table api_keys (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references users (id) on delete cascade,
      name text not null,
      prefix text not null,
      key_hash text not null unique,
      created_at timestamptz not null default now(),
      expires_at timestamptz,
      revoked_at timestamptz,
      last_used_at timestamptz
    );
    create index api_keys_user_idx on api_keys (user_id, created_at desc);
  `,
  );
}

export async function down(knex: Knex): Promise<void> {
  await runScript(
    knex,
    `
    drop table if exists api_keys, auth_sessions, users cascade;
  `,
  );
}
