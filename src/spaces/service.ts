// Spaces and their live sessions (AiArinova Spaces API).
import type { Knex } from 'knex';
import type * as T from '../../generated/server/schemas.gen.js';
import type { AgentListingsService } from '../agents/index.js';
import { findUserProfile } from '../auth/index.js';
import type { Principal } from '../platform/principal.js';
import { inTransaction, type Db, type Transaction } from '../platform/transactions.js';
import type { PageQuery } from '../platform/pages.js';
import { containsPattern } from '../platform/search.js';
import { isVisibleTo } from '../platform/visibility.js';
import { controlNeedsAgent, notAgentOwner, notParticipant, notSpaceOwner, sessionEnded, spaceNotFound } from './errors.js';
import { SPACE_COLUMNS, Space, SpaceParticipant, SpaceSession, type SpaceRecord } from './models.js';
import { toParticipant, toSession, toSpaceRow } from './wire.js';

export interface SpaceListQuery extends PageQuery {
  search?: string;
  category?: string;
}

/** The sessions a space's detail embeds: its newest, the first page of listSpaceSessions at its default. */
const DETAIL_SESSIONS = 20;

export class SpacesService {
  constructor(private readonly db: Knex, private readonly agents: AgentListingsService) {}

  /**
   * Public spaces, newest first. `total` is exact: a maintained counter without a search, a count with one.
   * Hot path: plain knex (its benchmark row is in docs/benchmarks.md).
   */
  async list(query: SpaceListQuery): Promise<T.SpaceList> {
    const { page, limit } = query;
    const search = containsPattern(query.search);
    const filtered = this.db('spaces').where('isPublic', true);
    if (query.category !== undefined) filtered.where('category', query.category);
    if (search) filtered.whereILike('name', search);

    const totalQuery = search
      ? filtered.clone().count<{ count: number }[]>({ count: '*' })
      : this.db('space_public_counts').select('count').where('category', query.category ?? '');
    const [rows, totals] = await Promise.all([
      filtered.clone().select(SPACE_COLUMNS).orderBy([{ column: 'createdAt', order: 'desc' }, { column: 'id', order: 'desc' }])
        .limit(limit).offset((page - 1) * limit),
      totalQuery,
    ]);
    const total = Number((totals as Array<{ count: number | string }>)[0]?.count ?? 0);
    return { spaces: (rows as SpaceRecord[]).map(toSpaceRow), total, page, totalPages: Math.ceil(total / limit) };
  }

  /** Hot path: one statement in plain knex, where Objection would add an insert-then-select. */
  async create(principal: Principal, input: T.SpaceCreateRequest, trx?: Transaction): Promise<T.SpaceRow> {
    const [row] = await (trx ?? this.db)('spaces').insert({
      ownerId: principal.user.id,
      name: input.name.trim(),
      description: input.description ?? null,
      category: input.category ?? null,
      tags: input.tags ?? [],
      definition: JSON.stringify(input.definition ?? {}),
      isPublic: input.isPublic ?? true,
    }).returning(SPACE_COLUMNS);
    return toSpaceRow(row as SpaceRecord);
  }

  /** Hot path: plain knex. */
  async get(principal: Principal, id: string): Promise<T.SpaceDetail> {
    const space = await this.visible(this.db, principal, id);
    const [owner, sessions, sessionCount] = await Promise.all([
      findUserProfile(this.db, space.ownerId),
      this.sessionsOf(this.db, id, { page: 1, limit: DETAIL_SESSIONS }),
      this.sessionCount(this.db, id),
    ]);
    if (!owner) throw spaceNotFound();
    return { ...toSpaceRow(space), owner: { id: owner.id, name: owner.name, image: owner.image }, sessions, sessionCount };
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
    const [sessions, total] = await Promise.all([this.sessionsOf(this.db, spaceId, query), this.sessionCount(this.db, spaceId)]);
    return { sessions, total, page: query.page, totalPages: Math.ceil(total / query.limit) };
  }

  async createSession(principal: Principal, spaceId: string, trx?: Transaction): Promise<T.SpaceSession> {
    return inTransaction(this.db, trx, async (t) => {
      await this.visible(t, principal, spaceId);
      const session = await SpaceSession.query(t).insertAndFetch({ spaceId, createdBy: principal.user.id, status: 'waiting' });
      await SpaceParticipant.query(t).insert({ sessionId: session.id, userId: principal.user.id, agentId: null, role: 'host', controlMode: 'human', isConnected: true });
      session.participantCount = 1;
      return toSession(session);
    });
  }

  /** 201 with a new participant, 200 when the caller (or their agent) reconnects. */
  async join(principal: Principal, spaceId: string, sessionId: string, input: T.SpaceSessionJoinRequest = {}, trx?: Transaction): Promise<{ created: boolean; participant: T.SpaceParticipant }> {
    if ((input.controlMode === 'agent' || input.controlMode === 'shared') && !input.agentId) throw controlNeedsAgent(input.controlMode);
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
      const changed = !existing || !existing.isConnected || (input.role !== undefined && input.role !== existing.role)
        || (input.controlMode !== undefined && input.controlMode !== existing.controlMode);
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
          sessionId, userId: principal.user.id, agentId, role: input.role ?? 'player', controlMode: input.controlMode ?? 'human', isConnected: true,
        });
      }
      // When the participants changed (one joined, reconnected, or changed role or control), the session's
      // updatedAt moves, with its status.
      const activates = session.status === 'waiting' && (await this.connectedCount(t, sessionId)) >= 2;
      if (changed || activates) await session.$query(t).patch({ ...(activates ? { status: 'active' as const } : {}), updatedAt: new Date() });
      return { created: !existing, participant: toParticipant(participant) };
    });
  }

  async leave(principal: Principal, spaceId: string, sessionId: string, input: T.SpaceSessionLeaveRequest = {}, trx?: Transaction): Promise<void> {
    await inTransaction(this.db, trx, async (t) => {
      const session = await this.lockSession(t, principal, spaceId, sessionId);
      const participant = await SpaceParticipant.query(t).findOne({ sessionId, userId: principal.user.id, agentId: input.agentId ?? null });
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
    const space = await db('spaces').where('id', id).first<SpaceRecord | undefined>(SPACE_COLUMNS);
    if (!space || !isVisibleTo(space, principal.user.id)) throw spaceNotFound();
    return space;
  }

  /** The session, row-locked so joins and leaves apply their state transitions one at a time. */
  private async lockSession(trx: Transaction, principal: Principal, spaceId: string, sessionId: string): Promise<SpaceSession> {
    await this.visible(trx, principal, spaceId);
    const session = await SpaceSession.query(trx).findOne({ id: sessionId, spaceId }).forUpdate();
    if (!session) throw spaceNotFound();
    return session;
  }

  private async connectedCount(db: Db, sessionId: string): Promise<number> {
    return SpaceParticipant.query(db).where({ sessionId, isConnected: true }).resultSize();
  }

  /** One page of a space's sessions, newest first (space_sessions_space_idx serves the order). */
  private async sessionsOf(db: Db, spaceId: string, { page, limit }: PageQuery): Promise<T.SpaceSession[]> {
    const connected = db('space_participants as p').count('*').where('p.sessionId', db.ref('s.id')).where('p.isConnected', true);
    const sessions = await db('space_sessions as s').where('s.spaceId', spaceId)
      .select('s.id', 's.spaceId', 's.status', 's.createdBy', 's.createdAt', 's.updatedAt', connected.as('participantCount'))
      .orderBy([{ column: 's.createdAt', order: 'desc' }, { column: 's.id', order: 'desc' }])
      .limit(limit).offset((page - 1) * limit);
    return (sessions as SpaceSession[]).map(toSession);
  }

  private async sessionCount(db: Db, spaceId: string): Promise<number> {
    const [row] = await db('space_sessions').where('spaceId', spaceId).count<{ count: number | string }[]>({ count: '*' });
    return Number(row?.count ?? 0);
  }
}
