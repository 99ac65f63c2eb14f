// What a handler receives besides its validated request. Which context depends on the operation's security in
// the contract: a handler of an operation that requires a caller gets a non-optional `principal`, by type.
import type { Logger } from 'pino';
import type { Area, AreaHandlers, ContextKinds } from '../../generated/server/index.js';
import type { Credential, Principal } from '../platform/principal.js';
import type { Transaction } from '../platform/transactions.js';

export interface RequestContext {
  /** The caller, when the operation's security found one (operations with optional auth). */
  principal?: Principal;
  /** Every credential the request carried, in precedence order (sign-out revokes them). */
  credentials: Credential[];
  requestId: string;
  log: Logger;
  clientIp: string;
  /** Whether the client reached us over https (directly, or through a trusted proxy). */
  secure: boolean;
  /** `https://host:port` as the client reached us: for absolute URLs to this server in responses. */
  baseUrl: string;
}

/** An operation whose security requires a caller: authentication has already answered 401 without one. */
export interface AuthedContext extends RequestContext {
  principal: Principal;
}

/**
 * An `x-idempotency` operation: its effect must run in `trx`, the transaction in which the idempotency
 * facility claims the key and records the result (src/platform/idempotency.ts).
 */
export interface IdempotentContext extends AuthedContext {
  trx: Transaction;
}

export interface Contexts extends ContextKinds {
  none: RequestContext;
  optional: RequestContext;
  required: AuthedContext;
  idempotent: IdempotentContext;
}

/** The handler object of one area: exactly its operations, each typed by the contract. */
export type HandlersOf<A extends Area> = AreaHandlers<A, Contexts>;
