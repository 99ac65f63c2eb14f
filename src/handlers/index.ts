// All handlers, assembled into the generated Handlers type: a missing or mistyped handler is a compile error.
import type { Handlers, OperationId } from '../../generated/server/index.js';
import type { RequestContext } from '../http/context.js';
import { authHandlers } from './auth.js';
import { healthHandlers } from './health.js';
import { spacesHandlers } from './spaces.js';
import { notImplementedHandlers } from './not-implemented.js';

export const implementedHandlers = { ...healthHandlers, ...authHandlers, ...spacesHandlers };

/** Operations with a real handler (the rest answer 501). */
export const IMPLEMENTED = Object.keys(implementedHandlers) as OperationId[];

export function allHandlers(): Handlers<RequestContext> {
  return { ...notImplementedHandlers(), ...implementedHandlers };
}
