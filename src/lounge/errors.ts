// The lounge area's error codes.
import { conflict, forbidden, notFound } from '../platform/errors.js';

export const loungeNotFound = () => notFound('NOT_FOUND', 'No such lounge.');
export const notLoungeCreator = () =>
  forbidden('NOT_LOUNGE_CREATOR', "Only the lounge's creator can see its dashboard.");
export const alreadySubscribed = () =>
  conflict('ALREADY_SUBSCRIBED', 'Your subscription to this lounge is active and renews.');
export const noSubscription = () => conflict('NO_SUBSCRIPTION', 'This lounge has no subscription to take.');
export const notSubscribed = () => conflict('NOT_SUBSCRIBED', 'You have no subscription to this lounge.');
