// The composition of every area's service over one database: built once per app (src/app.ts), and the way
// tests and the benchmark reach the real services. Handlers never see it: each area's handlers are given their
// own service by src/areas.ts.
import type { Config } from './config.js';
import { AgentListingsService } from './agents/index.js';
import type { AgentProvider } from './ai/agent-provider.js';
import { createAgentProvider, createSpeechProvider } from './ai/providers.js';
import type { SpeechProvider } from './ai/speech-provider.js';
import { AuthService, TicketHolds } from './auth/index.js';
import { VerificationReviewService } from './admin/index.js';
import { LocalVoiceProvider, type VoiceProvider } from './ai/voice-provider.js';
import { ConversationChat, ConversationsService } from './conversations/index.js';
import { LoungeService } from './lounge/index.js';
import { OfficialService, hasPendingVerification } from './official/index.js';
import { AgentCalls, CommunitiesService, CommunityAgentChat, RenewalJob } from './communities/index.js';
import { MediaService } from './media/index.js';
import { CredentialWatch } from './realtime/credential-ends.js';
import { StreamQuota } from './realtime/stream-quota.js';
import { createRoomsArea, type RoomsArea } from './rooms/index.js';
import type { Clock } from './platform/clock.js';
import { databaseChecks, Readiness } from './health/index.js';
import type { Database } from './platform/database.js';
import { IdempotencyFacility } from './platform/idempotency.js';
import { NO_METRICS, type Recorder } from './platform/metrics.js';
import { OutboundFetch } from './platform/outbound-fetch.js';
import { SpacesService } from './spaces/index.js';
import { WalletService } from './wallet/index.js';

/**
 * Keyed by area: an area's main service under the area's name (`communities`, `lounge`, `admin`...), its other
 * parts as `<area><Part>` (`communityChat`, `communityAgentCalls`, `communityRenewals`, `conversationChat`);
 * rooms is one object of its parts. The rest are the kernel's (`database`, `clock`, `idempotency`).
 */
export interface Services {
  database: Database;
  clock: Clock;
  idempotency: IdempotencyFacility;
  auth: AuthService;
  agents: AgentListingsService;
  spaces: SpacesService;
  wallet: WalletService;
  media: MediaService;
  communities: CommunitiesService;
  communityChat: CommunityAgentChat;
  communityAgentCalls: AgentCalls;
  communityRenewals: RenewalJob;
  conversations: ConversationsService;
  conversationChat: ConversationChat;
  official: OfficialService;
  admin: VerificationReviewService;
  lounge: LoungeService;
  rooms: RoomsArea;
  /** The stream tickets this process's open streams use, kept alive. */
  ticketHolds: TicketHolds;
  /** `/readyz`'s checks: the database's here; the composition root adds Redis and the shutdown state. */
  readiness: Readiness;
}

/** Providers default to the configured ones; tests and benchmarks may pass their own. */
export interface Providers {
  agent?: AgentProvider;
  speech?: SpeechProvider;
  voice?: VoiceProvider;
}

/** `metrics`: where the areas record what they count (src/platform/metrics.ts); nothing by default. */
export function createServices(
  database: Database,
  config: Config,
  clock: Clock,
  providers: Providers = {},
  metrics: Recorder = NO_METRICS,
): Services {
  const { knex } = database;
  const auth = new AuthService(knex, clock, { sessionTtlDays: config.sessionTtlDays });
  const agents = new AgentListingsService(knex, clock);
  const wallet = new WalletService(knex, clock);
  const media = new MediaService(knex);
  const communities = new CommunitiesService(knex, clock, wallet, agents, {
    platformFeeShare: config.platformFeeShare,
  });
  const conversations = new ConversationsService(knex, clock);
  communities.onStaffExit((trx, communityId, userId) => conversations.releaseAssignments(trx, communityId, userId));
  // A community's type is fixed while a verification request for it (the official area's) is pending.
  communities.checkVerificationWith(hasPendingVerification);
  const agentCalls = new AgentCalls(knex, clock, wallet, {
    heartbeatMs: config.agent.callHeartbeatMs,
    staleAfterMs: config.agent.callStaleAfterMs,
    platformFeeShare: config.platformFeeShare,
    metrics,
  });
  const agent = providers.agent ?? createAgentProvider(config.agent);
  const speech = 'speech' in providers ? providers.speech : createSpeechProvider(config.speech);
  const outbound = new OutboundFetch(config.outbound, undefined, metrics);
  // A clone is a download (OUTBOUND_TIMEOUT_MS at most) and the cloning itself: half as long again.
  const lounges = new LoungeService(
    knex,
    clock,
    communities,
    conversations,
    agents,
    providers.voice ?? new LocalVoiceProvider(outbound),
    { concurrency: config.voiceCloningConcurrency, timeoutMs: config.outbound.timeoutMs * 1.5 },
  );
  // Open streams end with their credential (checked every keep-alive interval, and at once on sign-out and key
  // deletion), and each user holds a bounded number of them.
  const credentials = new CredentialWatch(database.events, {
    ended: (ids) => auth.endedCredentials(ids),
    checkMs: config.sseKeepAliveMs,
  });
  const holds = new TicketHolds(auth.tickets);
  const tickets = { issue: auth.tickets.issue.bind(auth.tickets), hold: (id: string) => holds.hold(id) };
  const rooms = createRoomsArea(
    knex,
    clock,
    agent,
    { ...config.runs, timeoutMs: config.agent.timeoutMs },
    {
      events: database.events,
      bufferEvents: config.roomStreamBufferEvents,
      credentials,
      quota: new StreamQuota(config.maxStreamsPerUser),
      tickets,
    },
    metrics,
  );
  // Rooms keep agent participants by listing id without a foreign key (their past messages stay): deleting a
  // listing makes them leave, with an event, in the delete's transaction.
  agents.onDelete((trx, listingId) => rooms.participants.agentListingDeleted(trx, listingId));
  // A listing made private is no longer usable by rooms of other owners: their participants of it are no longer
  // agentEnabled (mentions start no run) until it is public again.
  agents.onVisibilityChange((trx, listing) => rooms.participants.agentListingVisibilityChanged(trx, listing));
  // Lounges are communities priced by the lounge area, which depends on communities.
  const renewals = new RenewalJob(knex, clock, communities, wallet);
  renewals.priceLoungesWith((trx, communityId) => lounges.monthlyPrice(trx, communityId));
  return {
    database,
    readiness: databaseChecks(new Readiness(config.readinessTimeoutMs), database, config.databaseSchema),
    clock,
    idempotency: new IdempotencyFacility(knex, clock, config.idempotencyRetentionHours * 3600_000),
    auth,
    agents,
    spaces: new SpacesService(knex, agents),
    wallet,
    media,
    communities,
    communityChat: new CommunityAgentChat(knex, communities, agentCalls, media, agent, speech, {
      timeoutMs: config.agent.timeoutMs,
    }),
    communityAgentCalls: agentCalls,
    communityRenewals: renewals,
    conversations,
    conversationChat: new ConversationChat(knex, conversations, media, agent, speech, {
      timeoutMs: config.agent.timeoutMs,
      // Official communities speak in the default voice; lounges in theirs, within the free minutes.
      voicePolicy: async (community, conversation) =>
        community.type === 'lounge' ? lounges.voicePlan(community, conversation) : {},
    }),
    official: new OfficialService(knex, clock, conversations),
    admin: new VerificationReviewService(knex, clock),
    lounge: lounges,
    rooms,
    ticketHolds: holds,
  };
}
