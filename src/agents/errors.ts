// The agents area's error codes.
import { forbidden, notFound } from '../platform/errors.js';

export const listingNotFound = () => notFound('NOT_FOUND', 'No such agent listing.');
/** For other areas that refer to a listing by id (`AGENT_LISTING_NOT_FOUND`). */
export const referencedListingNotFound = () =>
  notFound('AGENT_LISTING_NOT_FOUND', 'No such agent listing, or it is private.');
export const notListingOwner = () =>
  forbidden('FORBIDDEN', 'Only the owner of an agent listing can change or delete it.');
