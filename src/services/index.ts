import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import { AuthService } from './auth.js';
import { SpacesService } from './spaces.js';
import { RateLimiter } from './rate-limit.js';

/** Every service, built once per app over one database. */
export interface Services {
  database: Database;
  auth: AuthService;
  spaces: SpacesService;
  limits: { signUp: RateLimiter; signIn: RateLimiter; signInFailures: RateLimiter };
}

export function createServices(database: Database, config: Config): Services {
  const { rateLimits } = config;
  return {
    database,
    auth: new AuthService(database.knex, { sessionTtlDays: config.sessionTtlDays, adminEmails: config.adminEmails }),
    spaces: new SpacesService(database.knex),
    limits: {
      signUp: new RateLimiter(rateLimits.signUpPerIpPerHour, 3600_000),
      signIn: new RateLimiter(rateLimits.signInPerIpPer15Min, 15 * 60_000),
      signInFailures: new RateLimiter(rateLimits.signInFailuresPerEmailPer15Min, 15 * 60_000),
    },
  };
}
