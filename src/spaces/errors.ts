// The spaces area's error codes.
import { conflict, forbidden, notFound, validationFailed } from '../platform/errors.js';

export const spaceNotFound = () => notFound();
export const notSpaceOwner = () => forbidden('NOT_SPACE_OWNER', 'Only the owner of a space can delete it.');
export const sessionEnded = () => conflict('SESSION_ENDED', 'This session has ended.');
export const notParticipant = () => notFound('NOT_PARTICIPANT', 'You are not a participant of this session.');
export const notAgentOwner = () => forbidden('NOT_AGENT_OWNER', 'You can only join as an agent you own.');
export const controlNeedsAgent = (mode: string) =>
  validationFailed([
    { in: 'body', field: 'controlMode', message: `"${mode}" control needs an agentId`, type: 'value_error' },
  ]);
