// Spaces and their live sessions (AiArinova Spaces API).
import type { Knex } from 'knex';
import type * as T from '../../generated/client/src/gen/types.gen.js';
import { conflict, forbidden, notFound, validationFailed } from '../errors/api-error.js';
import { Space } from '../models/Space.js';
import { SpaceSession } from '../models/SpaceSession.js';
import { SpaceParticipant } from '../models/SpaceParticipant.js';
import { AgentListing } from '../models/AgentListing.js';
import type { Principal } from './auth.js';

/** The columns of a SpaceRow, selected explicitly on the hot list path. */
const SPACE_COLUMNS = ['id', 'ownerId', 'name', 'description', 'category', 'tags', 'definition', 'isPublic', 'createdAt', 'updatedAt'];

type SpaceRecord = Pick<Space, 'id' | 'ownerId' | 'name' | 'description' | 'category' | 'tags' | 'definition' | 'isPublic' | 'createdAt' | 'updatedAt'>;

export const toSpaceRow = (s: SpaceRecord): T.SpaceRow => ({
  id: s.id,
  ownerId: s.ownerId,
  name: s.name,
  description: s.description,
  category: s.category,
  tags: s.tags,
  definition: s.definition,
  isPublic: s.isPublic,
  createdAt: s.createdAt.toISOString(),
  updatedAt: s.updatedAt.toISOString(),
});

const toSession = (s: SpaceSession): T.SpaceSession => ({
  id: s.id,
  playgroundId: s.spaceId,
  status: s.status,
  participantCount: Number(s.participantCount ?? 0),
  createdBy: s.createdBy,
  createdAt: s.createdAt.toISOString(),
  updatedAt: s.updatedAt.toISOString(),
});

const toParticipant = (p: SpaceParticipant): T.SpaceParticipant => ({
  id: p.id,
  sessionId: p.sessionId,
  userId: p.userId,
  agentId: p.agentId,
  role: p.role,
  controlMode: p.controlMode,
  isConnected: p.isConnected,
  joinedAt: p.joinedAt.toISOString(),
});

/** `%`, `_` and `\` match themselves in a search, not as LIKE wildcards. */
const likeLiteral = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

export class SpacesService {
  constructor(private readonly db: Knex) {}

  /** Public spaces, newest first. `total` is exact: a maintained counter without a search, a count with one. */
  async list(query: { search?: string; category?: string; page?: number; limit?: number }): Promise<T.SpaceList> {
    const page = query.page ?? 1;
    const limit = query.limit ?? 20;
    const search = query.search?.trim();
    const filtered = this.db('spaces').where('isPublic', true);
    if (query.category !== undefined) filtered.where('category', query.category);
    if (search) filtered.whereILike('name', `%${likeLiteral(search)}%`);

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

  // create and get are the hot paths next to list: plain knex, one statement each where Objection would
  // add an insert-then-select and model instantiation (docs/benchmarks.md measures the difference).
  async create(principal: Principal, input: T.SpaceCreateRequest): Promise<T.SpaceRow> {
    const [row] = await this.db('spaces').insert({
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

  async get(principal: Principal, id: string): Promise<T.SpaceDetail> {
    const space = await this.visible(this.db, principal, id);
    const [owner, sessions] = await Promise.all([
      this.db('users').where('id', space.ownerId).first<T.UserSummary | undefined>('id', 'name', 'image'),
      this.sessionsOf(this.db, id),
    ]);
    if (!owner) throw notFound();
    return { ...toSpaceRow(space), owner: { id: owner.id, name: owner.name, image: owner.image }, sessions };
  }

  async delete(principal: Principal, id: string): Promise<void> {
    await this.db.transaction(async (trx) => {
      const space = await Space.query(trx).findById(id).forUpdate();
      if (!space || (!space.isPublic && space.ownerId !== principal.user.id)) throw notFound();
      if (space.ownerId !== principal.user.id) throw forbidden('NOT_SPACE_OWNER', 'Only the owner of a space can delete it.');
      await Space.query(trx).deleteById(id); // sessions and participants go with it (on delete cascade)
    });
  }

  async listSessions(principal: Principal, spaceId: string): Promise<T.SpaceSessionList> {
    await this.visible(this.db, principal, spaceId);
    return this.sessionsOf(this.db, spaceId);
  }

  async createSession(principal: Principal, spaceId: string): Promise<T.SpaceSession> {
    return this.db.transaction(async (trx) => {
      await this.visible(trx, principal, spaceId);
      const session = await SpaceSession.query(trx).insertAndFetch({ spaceId, createdBy: principal.user.id, status: 'waiting' });
      await SpaceParticipant.query(trx).insert({ sessionId: session.id, userId: principal.user.id, agentId: null, role: 'host', controlMode: 'human', isConnected: true });
      session.participantCount = 1;
      return toSession(session);
    });
  }

  /** 201 with a new participant, 200 when the caller (or their agent) reconnects. */
  async join(principal: Principal, spaceId: string, sessionId: string, input: T.SpaceSessionJoinRequest = {}): Promise<{ created: boolean; participant: T.SpaceParticipant }> {
    if ((input.controlMode === 'agent' || input.controlMode === 'shared') && !input.agentId) {
      throw validationFailed([{ in: 'body', field: 'controlMode', message: `"${input.controlMode}" control needs an agentId`, type: 'value_error' }]);
    }
    return this.db.transaction(async (trx) => {
      const session = await this.lockSession(trx, principal, spaceId, sessionId);
      const agentId = input.agentId ?? null;
      if (agentId) {
        const listing = await AgentListing.query(trx).findById(agentId).select('id', 'ownerId', 'isPublic');
        if (!listing || (!listing.isPublic && listing.ownerId !== principal.user.id)) throw notFound('AGENT_LISTING_NOT_FOUND', 'No such agent listing.');
        if (listing.ownerId !== principal.user.id) throw forbidden('NOT_AGENT_OWNER', 'You can only join as an agent you own.');
      }
      if (session.status === 'ended') throw conflict('SESSION_ENDED', 'This session has ended.');

      const existing = await SpaceParticipant.query(trx).findOne({ sessionId, userId: principal.user.id, agentId });
      let participant: SpaceParticipant;
      if (existing) {
        participant = await existing.$query(trx).patchAndFetch({
          isConnected: true,
          ...(input.role ? { role: input.role } : {}),
          ...(input.controlMode ? { controlMode: input.controlMode } : {}),
          updatedAt: new Date(),
        });
      } else {
        participant = await SpaceParticipant.query(trx).insertAndFetch({
          sessionId, userId: principal.user.id, agentId, role: input.role ?? 'player', controlMode: input.controlMode ?? 'human', isConnected: true,
        });
      }
      if (session.status === 'waiting' && (await this.connectedCount(trx, sessionId)) >= 2) {
        await session.$query(trx).patch({ status: 'active', updatedAt: new Date() });
      }
      return { created: !existing, participant: toParticipant(participant) };
    });
  }

  async leave(principal: Principal, spaceId: string, sessionId: string, input: T.SpaceSessionLeaveRequest = {}): Promise<void> {
    await this.db.transaction(async (trx) => {
      const session = await this.lockSession(trx, principal, spaceId, sessionId);
      const participant = await SpaceParticipant.query(trx).findOne({ sessionId, userId: principal.user.id, agentId: input.agentId ?? null });
      if (!participant) throw notFound('NOT_PARTICIPANT', 'You are not a participant of this session.');
      if (session.status === 'ended' || !participant.isConnected) return;
      await participant.$query(trx).patch({ isConnected: false, updatedAt: new Date() });
      if ((await this.connectedCount(trx, sessionId)) === 0) await session.$query(trx).patch({ status: 'ended', updatedAt: new Date() });
    });
  }

  /** The space, if the caller may see it: public, or their own. Otherwise 404, as for an unknown id. */
  private async visible(db: Knex, principal: Principal, id: string): Promise<SpaceRecord> {
    const space = await db('spaces').where('id', id).first<SpaceRecord | undefined>(SPACE_COLUMNS);
    if (!space || (!space.isPublic && space.ownerId !== principal.user.id)) throw notFound();
    return space;
  }

  /** The session, row-locked so joins and leaves apply their state transitions one at a time. */
  private async lockSession(trx: Knex.Transaction, principal: Principal, spaceId: string, sessionId: string): Promise<SpaceSession> {
    await this.visible(trx, principal, spaceId);
    const session = await SpaceSession.query(trx).findOne({ id: sessionId, spaceId }).forUpdate();
    if (!session) throw notFound();
    return session;
  }

  private async connectedCount(db: Knex, sessionId: string): Promise<number> {
    return SpaceParticipant.query(db).where({ sessionId, isConnected: true }).resultSize();
  }

  private async sessionsOf(db: Knex, spaceId: string): Promise<T.SpaceSession[]> {
    const connected = db('space_participants as p').count('*').where('p.sessionId', db.ref('s.id')).where('p.isConnected', true);
    const sessions = await db('space_sessions as s').where('s.spaceId', spaceId)
      .select('s.id', 's.spaceId', 's.status', 's.createdBy', 's.createdAt', 's.updatedAt', connected.as('participantCount'))
      .orderBy([{ column: 's.createdAt', order: 'desc' }, { column: 's.id', order: 'desc' }]);
    return (sessions as SpaceSession[]).map(toSession);
  }
}

