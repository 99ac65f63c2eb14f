// The composition of every area's service over one database: built once per app (src/app.ts), and the way
// tests and the benchmark reach the real services. Handlers never see it: each area's handlers are given their
// own service by src/areas.ts.
import type { Config } from './config.js';
import { AuthService } from './auth/service.js';
import type { Clock } from './platform/clock.js';
import type { Database } from './platform/database.js';
import { IdempotencyFacility } from './platform/idempotency.js';
import { SpacesService } from './spaces/service.js';

export interface Services {
  database: Database;
  clock: Clock;
  idempotency: IdempotencyFacility;
  auth: AuthService;
  spaces: SpacesService;
}

export function createServices(database: Database, config: Config, clock: Clock): Services {
  const { knex } = database;
  return {
    database,
    clock,
    idempotency: new IdempotencyFacility(knex, clock, config.idempotencyRetentionHours * 3600_000),
    auth: new AuthService(knex, clock, { sessionTtlDays: config.sessionTtlDays, adminEmails: config.adminEmails }),
    spaces: new SpacesService(knex),
  };
}
