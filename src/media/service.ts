// Stored audio clips: written once, never changed, read by id (the id is the capability).
import type { Knex } from 'knex';
import { notFound } from '../platform/errors.js';
import type { Db } from '../platform/transactions.js';

export class MediaService {
  constructor(private readonly db: Knex) {}

  async store(contentType: string, data: Buffer, db: Db = this.db): Promise<string> {
    const [row] = await db('audio_clips').insert({ contentType, data }).returning('id');
    return (row as { id: string }).id;
  }

  async get(id: string): Promise<{ contentType: string; data: Buffer }> {
    const row = await this.db('audio_clips').where('id', id).first<{ contentType: string; data: Buffer | Uint8Array } | undefined>('contentType', 'data');
    if (!row) throw notFound('NOT_FOUND', 'No such audio.');
    return { contentType: row.contentType, data: Buffer.from(row.data) };
  }
}

/** The absolute URL of a stored clip, for a client that reached this server at `baseUrl`. */
export const audioUrl = (baseUrl: string) => (id: string) => `${baseUrl}/api/audio/${id}`;
