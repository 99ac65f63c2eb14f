// The rooms area's error codes. Validation-like refusals of references (an unknown document, user or
// listing) are 422s naming the field, in the Rooms API's FastAPI shape.
import { ApiError, conflict, forbidden, notFound, validationFailed } from '../platform/errors.js';

export const roomNotFound = () => notFound('NOT_FOUND', 'No such room, or it is not visible to you.');
export const participantNotFound = () => notFound('NOT_FOUND', 'No such participant in this room.');
export const invitationNotFound = () => notFound('NOT_FOUND', 'No such invitation in this room.');
export const runNotFound = () => notFound('NOT_FOUND', 'No such run in this room.');
export const messageNotFound = () => notFound('NOT_FOUND', 'No such message in this room.');
export const documentNotFound = () => notFound('NOT_FOUND', 'No such document.');
export const inviteeNotFound = () => notFound('INVITEE_NOT_FOUND', 'No user has this email address.');

export const notAParticipant = () =>
  forbidden('NOT_A_PARTICIPANT', 'Only current participants of this room can do this.');
export const notRoomOwner = () => forbidden('NOT_ROOM_OWNER', "Only the room's owner can do this.");
export const notInvitee = () => forbidden('NOT_INVITEE', 'This invitation is addressed to someone else.');
export const notMessageAuthor = () => forbidden('NOT_MESSAGE_AUTHOR', "Only the message's author can do this.");
export const notDocumentCreator = () =>
  forbidden('NOT_DOCUMENT_CREATOR', "Only the document's creator can add versions.");
export const notInvitationCreator = () =>
  forbidden('NOT_INVITATION_CREATOR', "Only the room's owner and the invitation's creator can revoke it.");
export const invitationPredatesLeaving = () =>
  forbidden(
    'NOT_INVITEE',
    'This invitation was created before you last left or were removed from this room; ask a current participant for a new one.',
  );

export const roomArchived = () => conflict('ROOM_ARCHIVED', 'This room is archived and read-only.');
export const alreadyParticipant = () => conflict('ALREADY_PARTICIPANT', 'Already a current participant of this room.');
export const alreadyInvited = () => conflict('ALREADY_INVITED', 'Already has a pending invitation to this room.');
export const invitationExpired = () => conflict('INVITATION_EXPIRED', 'This invitation expired; ask for a new one.');
export const invitationRevoked = () => conflict('INVITATION_REVOKED', 'This invitation was revoked.');
export const invitationAlreadyAccepted = () =>
  conflict('INVITATION_ALREADY_ACCEPTED', 'This open invitation was already accepted by someone else.');
export const acceptedNotRevocable = () =>
  conflict('INVITATION_ALREADY_ACCEPTED', 'This invitation was accepted; remove the participant instead.');
export const ownerCannotLeave = () =>
  conflict('OWNER_CANNOT_LEAVE', "The room's owner cannot leave it; archive it instead.");
export const cannotRemoveOwner = () => conflict('CANNOT_REMOVE_OWNER', "The room's owner cannot be removed.");
export const notAnAgent = () => conflict('NOT_AN_AGENT', 'Only agent participants have roles.');
export const participantNotActive = () => conflict('PARTICIPANT_NOT_ACTIVE', 'This participant left or was removed.');
export const messageDeleted = () => conflict('MESSAGE_DELETED', 'This message was deleted.');

/** A 422 naming one body field (or query parameter). */
export const invalidField = (field: string, message: string, location: 'body' | 'query' = 'body') =>
  validationFailed([{ in: location, field, message, type: 'value_error' }]);

/** Seconds a client refused a stream is told to wait: places free up as its other streams close. */
const STREAM_RETRY_AFTER_SECONDS = 5;
export const tooManyStreams = (max: number) =>
  new ApiError(
    429,
    'TOO_MANY_STREAMS',
    `You already hold ${max} open room streams on this server, the most one user may; close one first.`,
    undefined,
    { 'Retry-After': String(STREAM_RETRY_AFTER_SECONDS) },
  );
