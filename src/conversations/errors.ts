// The conversations area's error codes (shared with customer service and lounges).
import { conflict, forbidden, notFound } from '../platform/errors.js';

export const conversationNotFound = () => notFound('NOT_FOUND', 'No such conversation.');
export const notInHumanControl = () =>
  conflict('NOT_IN_HUMAN_CONTROL', 'CS staff may write only while a human is in control of the conversation.');
export const notAssigned = () => forbidden('NOT_ASSIGNED', 'Another CS agent is assigned to this conversation.');
export const notCustomer = () => forbidden('NOT_CUSTOMER', "Only the conversation's customer may do this.");
export const humanInControl = () =>
  conflict('HUMAN_IN_CONTROL', 'A human has been asked for or is in control: the AI does not answer.');
export const aiUnavailable = () =>
  conflict('AI_UNAVAILABLE', 'This community has no AI for customers (human_only, or no default agent).');
export const notOfficial = () =>
  conflict('NOT_OFFICIAL', 'This community is not an official community: it has no customer service.');
