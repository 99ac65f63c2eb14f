// Rows the API under test cannot create yet (their areas answer 501), written straight to the database.
import type { Platform } from '../../src/app.js';

export async function seedAgentListing(platform: Platform, ownerId: string, options: { isPublic?: boolean; name?: string } = {}): Promise<string> {
  const [row] = await platform.database.knex('agent_listings')
    .insert({ ownerId, name: options.name ?? 'Helper bot', model: 'gpt-4o', isPublic: options.isPublic ?? true })
    .returning('id');
  return (row as { id: string }).id;
}
