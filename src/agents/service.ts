// Agent listings: the AI agents that communities, lounges, spaces and rooms use. Public listings are visible
// to every signed-in user, private ones to their owner only (platform/visibility.ts).
import type { Knex } from 'knex';
import type { HandlerRequest } from '../../generated/server/index.js';
import type * as T from '../../generated/server/schemas.gen.js';
import type { Clock } from '../platform/clock.js';
import type { Principal } from '../platform/principal.js';
import type { Rendered } from '../platform/rendered.js';
import { inTransaction, type Db, type Transaction } from '../platform/transactions.js';
import { isVisibleTo } from '../platform/visibility.js';
import { listingNotFound, notListingOwner, referencedListingNotFound } from './errors.js';
import { AgentListing } from './models.js';
import { renderListingBrowse } from './queries.js';
import { toAgentListing } from './wire.js';

/** What another area does, in the delete's transaction, when a listing it uses by id is deleted. */
export type ListingDeleteHook = (trx: Transaction, listingId: string) => Promise<void>;

/** What another area does, in the update's transaction, when a listing it uses becomes public or private. */
export type ListingVisibilityHook = (
  trx: Transaction,
  listing: { id: string; ownerId: string; isPublic: boolean },
) => Promise<void>;

export class AgentListingsService {
  private readonly deleteHooks: ListingDeleteHook[] = [];
  private readonly visibilityHooks: ListingVisibilityHook[] = [];

  constructor(
    private readonly db: Knex,
    private readonly clock: Clock,
  ) {}

  /** Registers a hook run by `delete` in its transaction, before the row goes (src/services.ts wires them). */
  onDelete(hook: ListingDeleteHook): void {
    this.deleteHooks.push(hook);
  }

  /** Registers a hook run by `update` in its transaction when `isPublic` changes (src/services.ts wires them). */
  onVisibilityChange(hook: ListingVisibilityHook): void {
    this.visibilityHooks.push(hook);
  }

  /** Hot path: one statement rendering the body, in queries.ts. */
  async list(
    principal: Principal,
    query: HandlerRequest<'listAgentListings'>['query'],
  ): Promise<Rendered<T.AgentListingList>> {
    return renderListingBrowse(this.db, principal.user.id, query);
  }

  async create(
    principal: Principal,
    input: HandlerRequest<'createAgentListing'>['body'],
    trx?: Transaction,
  ): Promise<T.AgentListing> {
    const row = await AgentListing.query(trx ?? this.db).insertAndFetch({
      ownerId: principal.user.id,
      name: input.name.trim(),
      description: input.description ?? null,
      avatarUrl: input.avatarUrl ?? null,
      model: input.model,
      instructions: input.instructions ?? null,
      isPublic: input.isPublic,
    });
    return toAgentListing(row, principal.user.id);
  }

  async get(principal: Principal, id: string): Promise<T.AgentListing> {
    const row = await AgentListing.query(this.db).findById(id);
    if (!row || !isVisibleTo(row, principal.user.id)) throw listingNotFound();
    return toAgentListing(row, principal.user.id);
  }

  async update(
    principal: Principal,
    id: string,
    input: T.AgentListingUpdateRequest,
    trx?: Transaction,
  ): Promise<T.AgentListing> {
    return inTransaction(this.db, trx, async (t) => {
      const before = await this.ownedForUpdate(t, principal, id);
      const patch = {
        ...input,
        ...(input.name !== undefined ? { name: input.name.trim() } : {}),
        updatedAt: this.clock.now(),
      };
      const row = await AgentListing.query(t).patchAndFetchById(id, patch);
      if (row.isPublic !== before.isPublic) {
        for (const hook of this.visibilityHooks)
          await hook(t, { id: row.id, ownerId: row.ownerId, isPublic: row.isPublic });
      }
      return toAgentListing(row, principal.user.id);
    });
  }

  /**
   * Deletes the listing. Its uses go with it in this transaction, by the foreign keys the using areas
   * declare: community agents are removed, a community's default agent becomes null, space participants
   * playing as it are removed. Past messages keep their agent's name and id. Areas that keep a listing's
   * id without a foreign key register a hook (`onDelete`): room participants leave, with an event.
   */
  async delete(principal: Principal, id: string, trx?: Transaction): Promise<void> {
    await inTransaction(this.db, trx, async (t) => {
      await this.ownedForUpdate(t, principal, id);
      for (const hook of this.deleteHooks) await hook(t, id);
      await AgentListing.query(t).deleteById(id);
    });
  }

  /** A listing another area is about to use: one the caller may see, else 404 AGENT_LISTING_NOT_FOUND. */
  async usable(db: Db, principal: Principal, id: string): Promise<AgentListing> {
    const row = await AgentListing.query(db).findById(id);
    if (!row || !isVisibleTo(row, principal.user.id)) throw referencedListingNotFound();
    return row;
  }

  private async ownedForUpdate(trx: Transaction, principal: Principal, id: string): Promise<AgentListing> {
    const row = await AgentListing.query(trx).findById(id).forUpdate();
    if (!row || !isVisibleTo(row, principal.user.id)) throw listingNotFound();
    if (row.ownerId !== principal.user.id) throw notListingOwner();
    return row;
  }
}
