// Data the API under test cannot create yet (its area answers 501), made through the owning area's data access.
import { AgentListing } from '../../src/agents/models.js';
import type { Platform } from '../../src/app.js';

export async function agentListing(platform: Platform, ownerId: string, options: { isPublic?: boolean; name?: string } = {}): Promise<string> {
  const row = await AgentListing.query(platform.database.knex)
    .insert({ ownerId, name: options.name ?? 'Helper bot', model: 'gpt-4o', isPublic: options.isPublic ?? true });
  return row.id;
}
