import { Model } from 'objection';

export class SpaceParticipant extends Model {
  static override tableName = 'space_participants';
  id!: string;
  sessionId!: string;
  userId!: string;
  agentId!: string | null;
  role!: 'host' | 'player' | 'spectator';
  controlMode!: 'human' | 'agent' | 'shared';
  isConnected!: boolean;
  joinedAt!: Date;
  updatedAt!: Date;
}
