// Every area of the contract (the folders of openapi/paths/), declared once: its handlers, given their
// area's service, or NOT_BUILT. The operations of a NOT_BUILT area answer 501 NOT_IMPLEMENTED (after
// authentication and validation). Building an area means replacing its NOT_BUILT here by its handlers: the
// type below then requires a handler for each of its operations, and nothing else lists operations.
import type { Area, OperationId } from '../generated/server/index.js';
import { operations } from '../generated/server/index.js';
import { adminHandlers } from './admin/index.js';
import { agentsHandlers } from './agents/index.js';
import { authHandlers } from './auth/index.js';
import { communitiesHandlers } from './communities/index.js';
import { conversationsHandlers } from './conversations/index.js';
import { healthHandlers } from './health/index.js';
import type { HandlersOf } from './http/context.js';
import { loungeHandlers } from './lounge/index.js';
import { mediaHandlers } from './media/index.js';
import { officialHandlers } from './official/index.js';
import { roomsHandlers } from './rooms/index.js';
import type { Services } from './services.js';
import { spacesHandlers } from './spaces/index.js';
import { walletHandlers } from './wallet/index.js';

export const NOT_BUILT = 'not built';

/** An area's handlers, given the services. */
type AreaFactory<A extends Area> = (services: Services) => HandlersOf<A>;

export const areas: { [A in Area]: AreaFactory<A> | typeof NOT_BUILT } = {
  admin: (s) => adminHandlers(s.admin),
  agents: (s) => agentsHandlers(s.agents),
  auth: (s) => authHandlers(s.auth),
  communities: (s) => communitiesHandlers(s.communities, s.communityChat),
  conversations: (s) => conversationsHandlers(s.conversations, s.conversationChat),
  health: (s) => healthHandlers(s.readiness),
  lounge: (s) => loungeHandlers(s.lounge),
  media: (s) => mediaHandlers(s.media),
  official: (s) => officialHandlers(s.official),
  rooms: (s) => roomsHandlers(s.rooms),
  spaces: (s) => spacesHandlers(s.spaces),
  wallet: (s) => walletHandlers(s.wallet),
};

export const isBuilt = (area: Area): boolean => areas[area] !== NOT_BUILT;

/** The operations whose area is built, in contract order. */
export const builtOperations: OperationId[] = operations.filter((op) => isBuilt(op.area)).map((op) => op.operationId);

/** Each built operation's handler, keyed by operationId. */
export function buildHandlers(
  services: Services,
): Partial<Record<OperationId, (request: never, ctx: never) => Promise<unknown>>> {
  const handlers: Partial<Record<OperationId, (request: never, ctx: never) => Promise<unknown>>> = {};
  for (const factory of Object.values(areas)) {
    if (factory !== NOT_BUILT) Object.assign(handlers, (factory as (s: Services) => object)(services));
  }
  return handlers;
}
