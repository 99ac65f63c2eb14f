// Reading agent runs: one run, and its tool events (the run's `tool.*` events of the room log, by seq).
import type { Knex } from 'knex';
import type * as T from '../../generated/server/schemas.gen.js';
import type { Principal } from '../platform/principal.js';
import type { RoomAccess } from './access.js';
import { runNotFound } from './errors.js';
import { RoomEvent, RoomRun } from './models.js';
import { TOOL_EVENT_TYPES } from './runs.js';
import { toRun, toToolEvent } from './wire.js';

export class RunReads {
  constructor(
    private readonly db: Knex,
    private readonly access: RoomAccess,
  ) {}

  async get(principal: Principal, roomId: string, runId: string): Promise<T.RoomRun> {
    return toRun(await this.find(principal, roomId, runId));
  }

  async toolEvents(
    principal: Principal,
    roomId: string,
    runId: string,
    page: { afterSeq?: number | null; limit: number },
  ): Promise<T.RoomToolEventList> {
    await this.find(principal, roomId, runId);
    const events = await RoomEvent.query(this.db)
      .where({ roomId, subjectKind: 'run', subjectId: runId })
      .whereIn('type', TOOL_EVENT_TYPES)
      .where('seq', '>', page.afterSeq ?? 0)
      .orderBy('seq')
      .limit(page.limit);
    return { items: events.map(toToolEvent) };
  }

  /** A run of a room the caller is a current participant of (else 403/404). */
  private async find(principal: Principal, roomId: string, runId: string): Promise<RoomRun> {
    await this.access.current(this.db, principal, roomId);
    const run = await RoomRun.query(this.db).findOne({ id: runId, roomId });
    if (!run) throw runNotFound();
    return run;
  }
}
