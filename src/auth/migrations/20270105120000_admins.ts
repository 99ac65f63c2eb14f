// Admin is a stored property of an account, set only by the operator (the bootstrap at start and
// `npm run admin`), never derived from the email a request signed up with.
import type { Knex } from 'knex';
import { runScript } from '../../platform/sql.js';

export async function up(knex: Knex): Promise<void> {
  await runScript(
    knex,
    `
    alter table users add column is_admin boolean not null default false;
  `,
  );
}

export async function down(knex: Knex): Promise<void> {
  await runScript(
    knex,
    `
    alter table users drop column if exists is_admin;
  `,
  );
}
