import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Services } from '../services/index.js';
import type { Credential, Principal } from '../services/auth.js';
import { unauthenticated } from '../errors/api-error.js';

/** What every handler receives besides its validated request. */
export interface RequestContext {
  /** The caller, when the operation authenticated one. */
  principal?: Principal;
  /** Every credential the request carried, in precedence order (sign-out revokes them). */
  credentials: Credential[];
  services: Services;
  config: Config;
  requestId: string;
  log: Logger;
  clientIp: string;
  /** Whether the client reached us over https (directly, or through a trusted proxy). */
  secure: boolean;
}

/** The caller of an authenticated operation (the security layer has already answered 401 without one). */
export function principalOf(ctx: RequestContext): Principal {
  if (!ctx.principal) throw unauthenticated();
  return ctx.principal;
}
