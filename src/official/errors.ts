// Official customer service's error codes.
import { conflict, forbidden, notFound } from '../platform/errors.js';

export const conversationNotInCommunity = () =>
  notFound('CONVERSATION_NOT_FOUND', 'No such conversation in this community.');
export const handoffUnavailable = () =>
  conflict('HUMAN_HANDOFF_UNAVAILABLE', 'This community answers with AI only: there are no human agents.');
export const humanInControlTransfer = () => conflict('HUMAN_IN_CONTROL', 'A human already has this conversation.');
export const alreadyAccepted = () =>
  conflict('ALREADY_ACCEPTED', 'Another CS agent already accepted this conversation.');
export const notWaitingHuman = () => conflict('NOT_WAITING_HUMAN', 'The customer has not asked for a human.');
export const notCsStaff = () =>
  forbidden('NOT_CS_STAFF', "Only the community's creator, moderators and CS agents can do this.");
export const resolveNotAssigned = () => forbidden('NOT_ASSIGNED', 'Another CS agent is assigned to this conversation.');
export const notCustomerOfConversation = () =>
  forbidden('NOT_CUSTOMER', "Only the conversation's customer can ask for a human.");
export const notCreatorOrModerator = () =>
  forbidden('NOT_CREATOR_OR_MODERATOR', "Only the community's creator and moderators can invite CS agents.");
export const alreadyStaff = () =>
  conflict('ALREADY_STAFF', 'This user is the creator or a moderator: they already have CS rights.');
export const userNotFound = () => notFound('USER_NOT_FOUND', 'No such user.');
export const notCreator = () => forbidden('NOT_CREATOR', "Only the community's creator can do this.");
export const alreadyVerified = () => conflict('ALREADY_VERIFIED', 'This community is already verified.');
export const verificationPending = () =>
  conflict('VERIFICATION_PENDING', 'A verification request for this community is already waiting for review.');
