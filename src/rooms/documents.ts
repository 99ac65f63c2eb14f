// Rules and agent-role documents: shared across the platform, versioned, immutable once written. Rooms and
// agent participants reference a document and use its latest version; events that change a reference record
// the version that was current then (`...DocumentVersionId` in their payloads).
import type { Knex } from 'knex';
import type * as T from '../../generated/server/schemas.gen.js';
import type { Clock } from '../platform/clock.js';
import type { OffsetQuery } from '../platform/pages.js';
import type { Principal } from '../platform/principal.js';
import { inTransaction, type Db, type Transaction } from '../platform/transactions.js';
import { documentNotFound, invalidField, notDocumentCreator } from './errors.js';
import { RoomDocument, RoomDocumentVersion, type DocumentKind } from './models.js';
import { toDocument, toVersion } from './wire.js';

const KIND_NAMES: Record<DocumentKind, string> = {
  rules: 'a `rules` document',
  agent_role: 'an `agent_role` document',
};

/** The versions a document's detail embeds: its newest, the first page of listDocumentVersions at its default. */
const DETAIL_VERSIONS = 10;

/** A page of versions, newest first: those numbered below `beforeVersion` (all when it is absent). */
export interface VersionPage {
  beforeVersion?: number | null;
  limit: number;
}

export class DocumentsService {
  constructor(
    private readonly db: Knex,
    private readonly clock: Clock,
  ) {}

  /** A page of the documents of a kind at their latest version, by name (case-insensitive), then id. */
  async list(kind: DocumentKind, { limit, offset }: OffsetQuery): Promise<T.RoomDocumentSummaryList> {
    const rows = await RoomDocument.query(this.db)
      .alias('d')
      .join('room_document_versions as v', (j) => j.on('v.documentId', 'd.id').andOn('v.version', 'd.latestVersion'))
      .where('d.kind', kind)
      .select('d.id', 'd.displayName', 'd.latestVersion', 'v.id as versionId')
      .orderByRaw('lower(d.display_name), d.id')
      .limit(limit)
      .offset(offset);
    return {
      items: (rows as Array<RoomDocument & { versionId: string }>).map((d) => ({
        displayName: d.displayName,
        documentId: d.id,
        documentVersionId: d.versionId,
        version: d.latestVersion,
      })),
    };
  }

  async create(
    principal: Principal,
    kind: DocumentKind,
    input: T.RoomDocumentCreateRequest,
    trx?: Transaction,
  ): Promise<T.RoomDocument> {
    return inTransaction(this.db, trx, async (t) => {
      const now = this.clock.now();
      const document = await RoomDocument.query(t).insertAndFetch({
        kind,
        creatorId: principal.user.id,
        description: input.description ?? null,
        displayName: input.displayName,
        latestVersion: 1,
        createdAt: now,
        updatedAt: now,
      });
      const version = await RoomDocumentVersion.query(t).insertAndFetch({
        documentId: document.id,
        version: 1,
        displayName: input.displayName,
        body: input.body,
        createdAt: now,
      });
      return toDocument(document, version);
    });
  }

  async get(id: string): Promise<T.RoomDocumentDetail> {
    const document = await RoomDocument.query(this.db).findById(id);
    if (!document) throw documentNotFound();
    const versions = await this.versionsOf(id, { limit: DETAIL_VERSIONS });
    return { ...toDocument(document, versions[0]!), versions: versions.map(toVersion) };
  }

  async versions(id: string, page: VersionPage): Promise<T.RoomDocumentVersionList> {
    const document = await RoomDocument.query(this.db).findById(id);
    if (!document) throw documentNotFound();
    return { items: (await this.versionsOf(id, page)).map(toVersion) };
  }

  /** Newest first, served by unique (document_id, version). */
  private async versionsOf(id: string, { beforeVersion, limit }: VersionPage): Promise<RoomDocumentVersion[]> {
    const versions = RoomDocumentVersion.query(this.db).where('documentId', id).orderBy('version', 'desc').limit(limit);
    if (beforeVersion != null) versions.where('version', '<', beforeVersion);
    return versions;
  }

  /** The next version: the document row is locked, so concurrent additions number 2, 3, ... without a gap. */
  async addVersion(
    principal: Principal,
    id: string,
    input: T.RoomDocumentVersionCreateRequest,
    trx?: Transaction,
  ): Promise<T.RoomDocumentVersion> {
    return inTransaction(this.db, trx, async (t) => {
      const document = await RoomDocument.query(t).findById(id).forUpdate();
      if (!document) throw documentNotFound();
      if (document.creatorId !== principal.user.id) throw notDocumentCreator();
      const now = this.clock.now();
      const displayName = input.displayName ?? document.displayName;
      const version = await RoomDocumentVersion.query(t).insertAndFetch({
        documentId: id,
        version: document.latestVersion + 1,
        displayName,
        body: input.body,
        createdAt: now,
      });
      await RoomDocument.query(t).findById(id).patch({ latestVersion: version.version, displayName, updatedAt: now });
      return toVersion(version);
    });
  }

  /**
   * A document another write is about to reference: it must exist and be of `kind`, else a 422 naming `field`.
   * Returns its latest version (recorded in the event of the change).
   */
  async referenced(db: Db, kind: DocumentKind, id: string, field: string): Promise<RoomDocumentVersion> {
    const row = await RoomDocumentVersion.query(db)
      .alias('v')
      .join('room_documents as d', (j) => j.on('d.id', 'v.documentId').andOn('d.latestVersion', 'v.version'))
      .where('d.id', id)
      .where('d.kind', kind)
      .select('v.*')
      .first();
    if (!row) throw invalidField(field, `Must be the id of ${KIND_NAMES[kind]}`);
    return row;
  }

  /** The latest version of a document (id and number), or undefined. */
  async latest(db: Db, id: string): Promise<RoomDocumentVersion | undefined> {
    return RoomDocumentVersion.query(db)
      .alias('v')
      .join('room_documents as d', (j) => j.on('d.id', 'v.documentId').andOn('d.latestVersion', 'v.version'))
      .where('d.id', id)
      .select('v.*')
      .first();
  }
}
