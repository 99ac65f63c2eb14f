// Spaces and their live sessions (AiArinova Spaces API).
import type { Knex } from 'knex';
import type * as T from '../../generated/server/schemas.gen.js';
import type { AgentListingsService } from '../agents/index.js';
import type { PageQuery } from '../platform/pages.js';
import type { Principal } from '../platform/principal.js';
import type { Rendered } from '../platform/rendered.js';
import { inTransaction, type Db, type Transaction } from '../platform/transactions.js';
import { isVisibleTo } from '../platform/visibility.js';
import {
  controlNeedsAgent,
  notAgentOwner,
  notParticipant,
  notSpaceOwner,
  sessionEnded,
  spaceNotFound,
} from './errors.js';
import { Space, SpaceParticipant, SpaceSession, type SpaceRecord } from './models.js';
import {
  findVisibleSpace,
  renderInsertedSpace,
  renderSpaceDetail,
  renderSpaceList,
  sessionCount,
  sessionsOf,
  type SpaceInput,
  type SpaceListQuery,
} from './queries.js';
import { toParticipant, toSession } from './wire.js';

export class SpacesService {
  constructor(
    private readonly db: Knex,
    private readonly agents: AgentListingsService,
  ) {}

  /** Hot path: one statement rendering the body, in queries.ts (its benchmark row is in docs/benchmarks.md). */
  async list(query: SpaceListQuery): Promise<Rendered<T.SpaceList>> {
    return renderSpaceList(this.db, query);
  }

  /** Hot path: one statement writing the space and rendering the body, in queries.ts. */
  async create(principal: Principal, input: SpaceInput, trx?: Transaction): Promise<Rendered<T.SpaceRow>> {
    return renderInsertedSpace(trx ?? this.db, principal.user.id, input);
  }

  /** Hot path: one statement rendering the body, in queries.ts. */
  async get(principal: Principal, id: string): Promise<Rendered<T.SpaceDetail>> {
    const detail = await renderSpaceDetail(this.db, principal.user.id, id);
    if (!detail) throw spaceNotFound();
    return detail;
  }

  async delete(principal: Principal, id: string, trx?: Transaction): Promise<void> {
    await inTransaction(this.db, trx, async (t) => {
      const space = await Space.query(t).findById(id).forUpdate();
      if (!space || !isVisibleTo(space, principal.user.id)) throw spaceNotFound();
      if (space.ownerId !== principal.user.id) throw notSpaceOwner();
      await Space.query(t).deleteById(id); // sessions and participants go with it (on delete cascade)
    });
  }

  async listSessions(principal: Principal, spaceId: string, query: PageQuery): Promise<T.SpaceSessionList> {
    await this.visible(this.db, principal, spaceId);
    const [sessions, total] = await Promise.all([sessionsOf(this.db, spaceId, query), sessionCount(this.db, spaceId)]);
    return { sessions, total, page: query.page, totalPages: Math.ceil(total / query.limit) };
  }

  async createSession(principal: Principal, spaceId: string, trx?: Transaction): Promise<T.SpaceSession> {
    return inTransaction(this.db, trx, async (t) => {
      await this.visible(t, principal, spaceId);
      const session = await SpaceSession.query(t).insertAndFetch({
        spaceId,
        createdBy: principal.user.id,
        status: 'waiting',
      });
      await SpaceParticipant.query(t).insert({
        sessionId: session.id,
        userId: principal.user.id,
        agentId: null,
        role: 'host',
        controlMode: 'human',
        isConnected: true,
      });
      session.participantCount = 1;
      return toSession(session);
    });
  }

  /** 201 with a new participant, 200 when the caller (or their agent) reconnects. */
  async join(
    principal: Principal,
    spaceId: string,
    sessionId: string,
    input: T.SpaceSessionJoinRequest = {},
    trx?: Transaction,
  ): Promise<{ created: boolean; participant: T.SpaceParticipant }> {
    if ((input.controlMode === 'agent' || input.controlMode === 'shared') && !input.agentId)
      throw controlNeedsAgent(input.controlMode);
    return inTransaction(this.db, trx, async (t) => {
      const session = await this.lockSession(t, principal, spaceId, sessionId);
      const agentId = input.agentId ?? null;
      if (agentId) {
        const listing = await this.agents.usable(t, principal, agentId);
        if (listing.ownerId !== principal.user.id) throw notAgentOwner();
      }
      if (session.status === 'ended') throw sessionEnded();

      const existing = await SpaceParticipant.query(t).findOne({ sessionId, userId: principal.user.id, agentId });
      // Read before the patch below, which updates `existing` in place.
      const changed =
        !existing?.isConnected ||
        (input.role !== undefined && input.role !== existing.role) ||
        (input.controlMode !== undefined && input.controlMode !== existing.controlMode);
      let participant: SpaceParticipant;
      if (existing) {
        participant = await existing.$query(t).patchAndFetch({
          isConnected: true,
          ...(input.role ? { role: input.role } : {}),
          ...(input.controlMode ? { controlMode: input.controlMode } : {}),
          updatedAt: new Date(),
        });
      } else {
        participant = await SpaceParticipant.query(t).insertAndFetch({
          sessionId,
          userId: principal.user.id,
          agentId,
          role: input.role ?? 'player',
          controlMode: input.controlMode ?? 'human',
          isConnected: true,
        });
      }
      // When the participants changed (one joined, reconnected, or changed role or control), the session's
      // updatedAt moves, with its status.
      const activates = session.status === 'waiting' && (await this.connectedCount(t, sessionId)) >= 2;
      if (changed || activates)
        await session.$query(t).patch({ ...(activates ? { status: 'active' as const } : {}), updatedAt: new Date() });
      return { created: !existing, participant: toParticipant(participant) };
    });
  }

  async leave(
    principal: Principal,
    spaceId: string,
    sessionId: string,
    input: T.SpaceSessionLeaveRequest = {},
    trx?: Transaction,
  ): Promise<void> {
    await inTransaction(this.db, trx, async (t) => {
      const session = await this.lockSession(t, principal, spaceId, sessionId);
      const participant = await SpaceParticipant.query(t).findOne({
        sessionId,
        userId: principal.user.id,
        agentId: input.agentId ?? null,
      });
      if (!participant) throw notParticipant();
      if (session.status === 'ended' || !participant.isConnected) return;
      const now = new Date();
      await participant.$query(t).patch({ isConnected: false, updatedAt: now });
      const ends = (await this.connectedCount(t, sessionId)) === 0;
      await session.$query(t).patch({ ...(ends ? { status: 'ended' as const } : {}), updatedAt: now });
    });
  }

  /** The space, if the caller may see it (platform/visibility.ts); otherwise 404, as for an unknown id. */
  private async visible(db: Db, principal: Principal, id: string): Promise<SpaceRecord> {
    const space = await findVisibleSpace(db, principal.user.id, id);
    if (!space) throw spaceNotFound();
    return space;
  }

  /** The session, row-locked so joins and leaves apply their state transitions one at a time. */
  private async lockSession(
    trx: Transaction,
    principal: Principal,
    spaceId: string,
    sessionId: string,
  ): Promise<SpaceSession> {
    await this.visible(trx, principal, spaceId);
    const session = await SpaceSession.query(trx).findOne({ id: sessionId, spaceId }).forUpdate();
    if (!session) throw spaceNotFound();
    return session;
  }

  private async connectedCount(db: Db, sessionId: string): Promise<number> {
    return SpaceParticipant.query(db).where({ sessionId, isConnected: true }).resultSize();
  }
}
