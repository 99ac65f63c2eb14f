// The bare server's data access: the same SQL statements the platform's services run (the bench checks this
// before every run and stops if src/ has changed them: update this file to match), written with knex alone,
// returning the same JSON shapes.
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';

interface SpaceRecord {
  id: string; ownerId: string; name: string; description: string | null; category: string | null; tags: string[];
  definition: Record<string, unknown>; isPublic: boolean; createdAt: Date; updatedAt: Date;
}

interface SessionRecord {
  id: string; spaceId: string; status: string; createdBy: string; createdAt: Date; updatedAt: Date; participantCount: string | number | null;
}

const SPACE_COLUMNS = ['id', 'ownerId', 'name', 'description', 'category', 'tags', 'definition', 'isPublic', 'createdAt', 'updatedAt'];

const toSpaceRow = (s: SpaceRecord) => ({
  id: s.id, ownerId: s.ownerId, name: s.name, description: s.description, category: s.category, tags: s.tags,
  definition: s.definition, isPublic: s.isPublic, createdAt: s.createdAt.toISOString(), updatedAt: s.updatedAt.toISOString(),
});

const toSession = (s: SessionRecord) => ({
  id: s.id, playgroundId: s.spaceId, status: s.status, participantCount: Number(s.participantCount ?? 0), createdBy: s.createdBy,
  createdAt: s.createdAt.toISOString(), updatedAt: s.updatedAt.toISOString(),
});

const likeLiteral = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

export class BareQueries {
  constructor(private readonly db: Knex) {}

  /** The user behind a bearer token: the join AuthService.authenticate runs, same columns. */
  async caller(authorization: string | undefined): Promise<{ id: string } | undefined> {
    const token = authorization && /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
    if (!token) return undefined;
    return this.db('auth_sessions as s').join('users as u', 'u.id', 's.userId')
      .where('s.tokenHash', createHash('sha256').update(token).digest('hex')).whereNull('s.revokedAt').where('s.expiresAt', '>', new Date())
      .first<{ id: string } | undefined>('u.id', 'u.name', 'u.email', 'u.image', 's.expiresAt');
  }

  async list(query: Record<string, string | string[] | undefined>) {
    const page = Number(query.page ?? 1);
    const limit = Number(query.limit ?? 20);
    const search = typeof query.search === 'string' ? query.search.trim() : undefined;
    const category = typeof query.category === 'string' ? query.category : undefined;
    const filtered = this.db('spaces').where('isPublic', true);
    if (category !== undefined) filtered.where('category', category);
    if (search) filtered.whereILike('name', `%${likeLiteral(search)}%`);
    const totalQuery = search
      ? filtered.clone().count({ count: '*' })
      : this.db('space_public_counts').select('count').where('category', category ?? '');
    const [rows, totals] = await Promise.all([
      filtered.clone().select(SPACE_COLUMNS).orderBy([{ column: 'createdAt', order: 'desc' }, { column: 'id', order: 'desc' }])
        .limit(limit).offset((page - 1) * limit),
      totalQuery,
    ]);
    const total = Number((totals as Array<{ count: number | string }>)[0]?.count ?? 0);
    return { spaces: (rows as SpaceRecord[]).map(toSpaceRow), total, page, totalPages: Math.ceil(total / limit) };
  }

  /** The space with its owner, its 20 newest sessions and their count, or undefined when the caller may not see it. */
  async get(userId: string, id: string) {
    const space = await this.db('spaces').where('id', id).first<SpaceRecord | undefined>(SPACE_COLUMNS);
    if (!space || (!space.isPublic && space.ownerId !== userId)) return undefined;
    const connected = this.db('space_participants as p').count('*').where('p.sessionId', this.db.ref('s.id')).where('p.isConnected', true);
    const [owner, sessions, counted] = await Promise.all([
      this.db('users').where('id', space.ownerId).first<{ id: string; name: string; image: string | null } | undefined>('id', 'name', 'image'),
      this.db('space_sessions as s').where('s.spaceId', id)
        .select('s.id', 's.spaceId', 's.status', 's.createdBy', 's.createdAt', 's.updatedAt', connected.as('participantCount'))
        .orderBy([{ column: 's.createdAt', order: 'desc' }, { column: 's.id', order: 'desc' }]).limit(20),
      this.db('space_sessions').where('spaceId', id).count({ count: '*' }),
    ]);
    if (!owner) return undefined;
    const sessionCount = Number((counted as Array<{ count: number | string }>)[0]?.count ?? 0);
    return { ...toSpaceRow(space), owner: { id: owner.id, name: owner.name, image: owner.image }, sessions: (sessions as SessionRecord[]).map(toSession), sessionCount };
  }

  async create(userId: string, input: Record<string, any>) {
    const [row] = await this.db('spaces').insert({
      ownerId: userId,
      name: String(input.name).trim(),
      description: input.description ?? null,
      category: input.category ?? null,
      tags: input.tags ?? [],
      definition: JSON.stringify(input.definition ?? {}),
      isPublic: input.isPublic ?? true,
    }).returning(SPACE_COLUMNS);
    return toSpaceRow(row as SpaceRecord);
  }
}
