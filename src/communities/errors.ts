// The communities area's error codes.
import type { CurrentPrices } from '../../generated/server/schemas.gen.js';
import { ApiError, conflict, forbidden, notFound } from '../platform/errors.js';

export const communityNotFound = () => notFound('NOT_FOUND', 'No such community.');
export const notCreator = () => forbidden('NOT_CREATOR', "Only the community's creator can do this.");
export const archived = () =>
  conflict('COMMUNITY_ARCHIVED', 'This community is archived: it can no longer be changed.');
export const alreadyMember = () => conflict('ALREADY_MEMBER', 'You are already a member of this community.');
export const notAMemberConflict = () => conflict('NOT_A_MEMBER', 'You are not a member of this community.');
export const notAMember = () => forbidden('NOT_A_MEMBER', 'Only members of this community can do this.');
export const creatorCannotLeave = () =>
  conflict('CREATOR_CANNOT_LEAVE', 'The creator cannot leave the community; archive it instead.');
export const subscriptionInactive = () =>
  forbidden('SUBSCRIPTION_INACTIVE', 'Your subscription was cancelled: join the community again to renew it.');
export const agentAlreadyAdded = () =>
  conflict('AGENT_ALREADY_ADDED', "This agent is already one of the community's agents.");
export const agentNotInCommunity = () =>
  notFound('AGENT_NOT_IN_COMMUNITY', "This agent listing is not one of the community's agents.");
export const typeChangeNotAllowed = (why: string) =>
  conflict('TYPE_CHANGE_NOT_ALLOWED', `The community's type cannot change: ${why}.`);
export const loungeFeesFixed = () => conflict('LOUNGE_FEES_FIXED', "A lounge's fees are always 0.");
export const memberNotFound = () => notFound('MEMBER_NOT_FOUND', 'This user is not a member of the community.');
export const creatorRoleFixed = () => conflict('CREATOR_ROLE_FIXED', "The creator's role cannot change.");
export const priceChanged = (currentPrices: CurrentPrices) =>
  new ApiError(
    409,
    'PRICE_CHANGED',
    'The price changed since you saw it; nothing was charged. currentPrices holds the current prices.',
    undefined,
    undefined,
    { currentPrices },
  );
