// The media area's statements: audio clips are inserted once and read by id, in plain knex (no model: the
// row is two columns and a bytea).
import type { Db } from '../platform/transactions.js';

export async function insertClip(db: Db, contentType: string, data: Buffer): Promise<string> {
  const [row] = await db('audio_clips').insert({ contentType, data }).returning('id');
  return (row as { id: string }).id;
}

export function findClip(db: Db, id: string) {
  return db('audio_clips')
    .where('id', id)
    .first<{ contentType: string; data: Buffer | Uint8Array } | undefined>('contentType', 'data');
}
