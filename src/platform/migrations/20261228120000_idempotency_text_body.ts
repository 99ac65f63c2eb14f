// Idempotent replays are byte for byte the first answer: the body is kept as the text that was sent (a `jsonb`
// column gave it back with its keys reordered and its spacing changed), and the response headers the handler
// set are kept beside it. Rows written before keep working: their body becomes the text of their `jsonb` value.
import type { Knex } from 'knex';
import { runScript } from '../sql.js';

export async function up(knex: Knex): Promise<void> {
  await runScript(
    knex,
    `
    alter table idempotency_keys alter column body type text using body::text;
    alter table idempotency_keys add column headers jsonb;
  `,
  );
}

export async function down(knex: Knex): Promise<void> {
  await runScript(
    knex,
    `
    alter table idempotency_keys drop column if exists headers;
    alter table idempotency_keys alter column body type jsonb using body::jsonb;
  `,
  );
}
