import { Model } from 'objection';
import { SpaceParticipant } from './SpaceParticipant.js';

export class SpaceSession extends Model {
  static override tableName = 'space_sessions';
  id!: string;
  spaceId!: string;
  status!: 'waiting' | 'active' | 'ended';
  createdBy!: string;
  createdAt!: Date;
  updatedAt!: Date;
  /** Connected participants, when selected. */
  participantCount?: number;
  participants?: SpaceParticipant[];

  static override relationMappings = () => ({
    participants: { relation: Model.HasManyRelation, modelClass: SpaceParticipant, join: { from: 'space_sessions.id', to: 'space_participants.sessionId' } },
  });
}
