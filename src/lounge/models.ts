// The lounge area's tables as Objection models: its query layer. A lounge is a community of type `lounge`
// (src/communities) plus this row.
import { Model } from 'objection';

export type VoiceModelStatus = 'none' | 'pending' | 'training' | 'ready' | 'failed';

export class Lounge extends Model {
  static override tableName = 'lounges';
  static override idColumn = 'communityId';
  communityId!: string;
  voiceSamplesUrl!: string | null;
  voiceModelId!: string | null;
  voiceModelStatus!: VoiceModelStatus;
  voiceModelError!: string | null;
  /** While `training`: the claim of the instance cloning, and until when it holds (voice-cloning.ts). */
  cloneClaim!: string | null;
  cloneClaimedUntil!: Date | null;
  cloneAttempts!: number;
  freeMinutesPerDay!: number;
  subscriptionPriceCents!: string | number;
}
