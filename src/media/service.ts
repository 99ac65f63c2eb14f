// Stored audio clips: written once, never changed, read by id (the id is the capability).
import type { Knex } from 'knex';
import type { SpeechProvider } from '../ai/speech-provider.js';
import { notFound } from '../platform/errors.js';
import { inTransaction, type Db, type Transaction } from '../platform/transactions.js';
import { findClip, insertClip } from './queries.js';

export class MediaService {
  constructor(private readonly db: Knex) {}

  async store(contentType: string, data: Buffer, db: Db = this.db): Promise<string> {
    return insertClip(db, contentType, data);
  }

  /**
   * A reply spoken: synthesized (in `voice`, else the provider's default), stored, and linked to its message by
   * `link` in the same transaction as the clip (with whatever else it records); the clip's URL for `baseUrl`.
   */
  async speak(
    speech: SpeechProvider,
    text: string,
    options: { voice?: string; timeoutMs: number; baseUrl: string },
    link: (trx: Transaction, audioId: string, durationMs: number) => Promise<void>,
  ): Promise<string> {
    const spoken = await speech.synthesize(text, {
      voice: options.voice,
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    const audioId = await inTransaction(this.db, undefined, async (trx) => {
      const id = await this.store(spoken.contentType, spoken.audio, trx);
      await link(trx, id, spoken.durationMs);
      return id;
    });
    return audioUrl(options.baseUrl)(audioId);
  }

  async get(id: string): Promise<{ contentType: string; data: Buffer }> {
    const row = await findClip(this.db, id);
    if (!row) throw notFound('NOT_FOUND', 'No such audio.');
    return { contentType: row.contentType, data: Buffer.from(row.data) };
  }
}

/** What a clip's absolute URL starts with, its id following: for statements that render the URL themselves. */
export const audioUrlPrefix = (baseUrl: string) => `${baseUrl}/api/audio/`;

/** The absolute URL of a stored clip, for a client that reached this server at `baseUrl`. */
export const audioUrl = (baseUrl: string) => (id: string) => `${audioUrlPrefix(baseUrl)}${id}`;
