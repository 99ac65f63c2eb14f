// The spaces area's tables as Objection models: its query layer, except the browse, create and detail reads
// (service.ts, plain knex: the benchmarked hot paths).
import { Model } from 'objection';

export class Space extends Model {
  static override tableName = 'spaces';
  static override jsonAttributes = ['definition'];
  id!: string;
  ownerId!: string;
  name!: string;
  description!: string | null;
  category!: string | null;
  tags!: string[];
  definition!: Record<string, unknown>;
  isPublic!: boolean;
  createdAt!: Date;
  updatedAt!: Date;
}

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
}

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

/** The columns of a SpaceRow, selected explicitly on the hot paths. */
export const SPACE_COLUMNS = [
  'id',
  'ownerId',
  'name',
  'description',
  'category',
  'tags',
  'definition',
  'isPublic',
  'createdAt',
  'updatedAt',
];

export type SpaceRecord = Pick<
  Space,
  | 'id'
  | 'ownerId'
  | 'name'
  | 'description'
  | 'category'
  | 'tags'
  | 'definition'
  | 'isPublic'
  | 'createdAt'
  | 'updatedAt'
>;
