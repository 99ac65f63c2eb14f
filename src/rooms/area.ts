// The rooms area's services, composed over one database (src/services.ts builds them once, through index.ts).
import type { Knex } from 'knex';
import type { AgentProvider } from '../ai/agent-provider.js';
import type { Clock } from '../platform/clock.js';
import { NO_METRICS, type Recorder } from '../platform/metrics.js';
import type { EventBus } from '../realtime/event-bus.js';
import { RoomAccess } from './access.js';
import { DocumentsService } from './documents.js';
import { EventLog } from './event-log.js';
import { InvitationsService } from './invitations.js';
import { LiveFeeds } from './live-feeds.js';
import { MessagesService } from './messages.js';
import { ParticipantsService } from './participants.js';
import { Revocations } from './revocations.js';
import { RoomsService } from './rooms.js';
import { RunReads } from './run-reads.js';
import { RunWorker, type RunWorkerOptions } from './run-worker.js';
import { RunsQueue } from './runs.js';
import { RoomStreams, type StreamSettings } from './stream.js';
import { TimelineService } from './timeline.js';

export interface RoomsArea {
  eventLog: EventLog;
  documents: DocumentsService;
  rooms: RoomsService;
  participants: ParticipantsService;
  invitations: InvitationsService;
  messages: MessagesService;
  timeline: TimelineService;
  runReads: RunReads;
  /** Executes queued runs: started by the app with its background jobs, drained by hand in tests. */
  worker: RunWorker;
  streams: RoomStreams;
}

/** The live streams' fan-out (the database's event bus), per-client buffer, credential watch and per-user quota. */
export interface LiveSettings extends StreamSettings {
  events: EventBus;
}

export function createRoomsArea(
  db: Knex,
  clock: Clock,
  agent: AgentProvider,
  runOptions: RunWorkerOptions,
  live: LiveSettings,
  metrics: Recorder = NO_METRICS,
): RoomsArea {
  const access = new RoomAccess(clock);
  const eventLog = new EventLog(clock);
  const documents = new DocumentsService(db, clock);
  const runs = new RunsQueue(clock, eventLog, documents, metrics);
  const revocations = new Revocations(clock, eventLog);
  const participants = new ParticipantsService(db, clock, access, eventLog, documents, runs, revocations);
  return {
    eventLog,
    documents,
    rooms: new RoomsService(db, clock, access, eventLog, documents, runs),
    participants,
    invitations: new InvitationsService(db, clock, access, eventLog, documents, participants, revocations),
    messages: new MessagesService(db, clock, access, eventLog, runs),
    timeline: new TimelineService(db, access),
    runReads: new RunReads(db, access),
    worker: new RunWorker(db, clock, runs, agent, runOptions, metrics),
    streams: new RoomStreams(db, access, new LiveFeeds(db, live.events), live, metrics),
  };
}
