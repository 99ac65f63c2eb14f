// Demo mode's data (DEMO=true): accounts with known passwords and API keys, funded wallets, a paid official
// community with an agent and customer service, a lounge, rooms with human and agent participants,
// invitations, messages, an agent run and documents, each with the fixed id the docs' samples use
// (src/demo/fixtures.ts). Everything is made through the areas' services, as requests would make it (the
// ledger, the room event log and the counters stay right), in one transaction; then each object gets its
// fixed id (fixed-ids.ts). Loading again finds the first account and changes nothing.
import type { Knex } from 'knex';
import { AdminAccounts } from '../auth/index.js';
import type { Principal } from '../platform/principal.js';
import { parseRendered } from '../platform/rendered.js';
import type { Services } from '../services.js';
import { DEMO_CREDITS, DEMO_IDS, DEMO_PASSWORD, DEMO_USERS, type DemoUser } from './fixtures.js';
import { fixId } from './fixed-ids.js';
import { contractBody } from '../platform/contract-body.js';

export interface DemoLoad {
  /** False when the data was there already (a restart on the same database). */
  loaded: boolean;
}

/** One lock for every instance that starts in demo mode on the same database at once. */
const DEMO_LOCK = 7_260_023;

export async function loadDemoData(services: Services): Promise<DemoLoad> {
  const { knex } = services.database;
  return knex.transaction(async (trx) => {
    await trx.raw('select pg_advisory_xact_lock(?)', [DEMO_LOCK]);
    if (await trx('users').where('id', DEMO_USERS.alice.id).first('id')) return { loaded: false };
    const emails = Object.values(DEMO_USERS).map((u) => u.email);
    const taken = await trx('users').whereIn('email', emails).orderBy('email').pluck('email');
    if (taken.length > 0) {
      throw new Error(
        `DEMO=true: this database has accounts of its own with the demo's emails (${taken.join(', ')}), so the demo data cannot be loaded into it. ` +
          'Start the demo on a database of its own: another DATA_DIR (e.g. DATA_DIR=./demo-data), or another DATABASE_SCHEMA.',
      );
    }
    await load(services, trx);
    return { loaded: true };
  });
}

async function load(s: Services, trx: Knex.Transaction): Promise<void> {
  const ids = DEMO_IDS;
  const as = {} as Record<DemoUser, Principal>;
  for (const [name, user] of Object.entries(DEMO_USERS) as Array<[DemoUser, (typeof DEMO_USERS)[DemoUser]]>) {
    const { user: made } = await s.auth.signUp({ name: user.name, email: user.email, password: DEMO_PASSWORD }, trx);
    await fixId(trx, 'users', made.id, user.id);
    as[name] = {
      user: { ...made, id: user.id },
      scheme: 'apiKeyHeader',
      method: 'api_key',
      credentialId: user.apiKeyId,
      expiresAt: null,
      isAdmin: name === 'ada',
    };
    const apiKey = await s.auth.createApiKey(as[name], { name: 'Demo key', expiresInDays: 365 }, trx, {
      key: user.apiKey,
      prefix: user.apiKey.slice(0, 9),
    });
    await fixId(trx, 'api_keys', apiKey.id, user.apiKeyId);
    await s.wallet.credit(user.id, { amount: DEMO_CREDITS, reason: 'Demo credits' }, trx);
  }
  // Admins are the operator's to make, never a request's: the same grant as `npm run admin -- grant`.
  await new AdminAccounts(trx).grant(DEMO_USERS.ada.email);
  const { alice, bob, carol, dave } = as;
  const spareKey = await s.auth.createApiKey(alice, { name: 'Old laptop', expiresInDays: 30 }, trx);
  await fixId(trx, 'api_keys', spareKey.id, ids.spareApiKey);

  // Agents.
  const listing = async (to: string, name: string, description: string) => {
    const made = await s.agents.create(
      alice,
      { name, description, model: 'gpt-4o', instructions: `You are ${name}. Answer briefly.`, isPublic: true },
      trx,
    );
    await fixId(trx, 'agent_listings', made.id, to);
  };
  await listing(ids.agentListing, 'Research Assistant', 'Researches and summarises for the team.');
  await listing(ids.secondAgentListing, 'Lounge Host', 'Hosts the lounge and plays in the arena.');
  await listing(ids.thirdAgentListing, 'Assistant', 'A friendly helper that answers questions about your community.');
  await listing(ids.spareAgentListing, 'Retired Helper', 'An agent nobody uses any more.');

  // Spaces.
  const createSpace = async (input: Parameters<typeof contractBody<'createSpace'>>[1]) =>
    parseRendered(await s.spaces.create(alice, contractBody('createSpace', input), trx));
  const space = await createSpace({
    name: 'Arena',
    description: 'A four-player arena with bots.',
    category: 'gaming',
    tags: ['fun', 'multiplayer'],
    isPublic: true,
  });
  await fixId(trx, 'spaces', space.id, ids.space);
  const session = await s.spaces.createSession(alice, ids.space, trx);
  await fixId(trx, 'space_sessions', session.id, ids.spaceSession);
  const spareSpace = await createSpace({
    name: 'Old arena',
    description: 'Closing soon.',
    category: 'gaming',
    isPublic: true,
  });
  await fixId(trx, 'spaces', spareSpace.id, ids.spareSpace);

  // Communities: Acme Official (paid, with an agent and customer service), Globex Support, a spare club.
  const acme = await s.communities.create(
    alice,
    contractBody('createCommunity', {
      name: 'Acme Official',
      description: 'Product news, tips and customer support from the Acme team.',
      type: 'official',
      csMode: 'hybrid',
      category: 'technology',
      joinFee: 5,
      monthlyFee: 4.99,
      agentCallFee: 0.5,
      defaultAgentListingId: ids.agentListing,
    }),
    trx,
  );
  await fixId(trx, 'communities', acme.id, ids.community);
  await s.communities.join(bob, ids.community, {}, trx);
  await s.official.inviteCs(alice, ids.community, carol.user.id, trx);
  await s.communities.send(
    alice,
    ids.community,
    'Welcome to Acme Official! Ask the Research Assistant anything.',
    '',
    trx,
  );
  const chat = await s.official.startChat(bob, ids.community, trx);
  await fixId(trx, 'conversations', chat.body.conversationId, ids.officialConversation);
  await s.conversations.send(bob, ids.officialConversation, 'Hello, my order has not arrived yet.', '', trx);
  const globex = await s.communities.create(
    carol,
    contractBody('createCommunity', {
      name: 'Globex Support',
      description: 'Help for Globex customers.',
      type: 'official',
      category: 'technology',
    }),
    trx,
  );
  await fixId(trx, 'communities', globex.id, ids.otherCommunity);
  const verification = await s.official.requestVerification(
    carol,
    ids.otherCommunity,
    { businessName: 'Globex Inc', businessRegistration: '67890' },
    trx,
  );
  await fixId(trx, 'verification_requests', verification.requestId, ids.verificationRequest);
  const spareCommunity = await s.communities.create(
    alice,
    contractBody('createCommunity', { name: 'Acme Beta Testers', description: 'Closing soon.', type: 'club' }),
    trx,
  );
  await fixId(trx, 'communities', spareCommunity.id, ids.spareCommunity);

  // The lounge, where Bob has a conversation with its host.
  const lounge = await s.lounge.create(
    alice,
    {
      name: 'Synthwave Lounge',
      description: 'Late-night chats about synthwave production.',
      freeMinutesPerDay: 5,
      subscriptionPriceCents: 999,
      defaultAgentListingId: ids.secondAgentListing,
    },
    trx,
  );
  await fixId(trx, 'communities', lounge.id, ids.lounge);
  await s.lounge.startChat(bob, ids.lounge, trx);

  // Rooms: documents, the launch room with Bob, Dave and the agent, invitations, a message the agent answers.
  const documents = s.rooms.documents;
  const rules = await documents.create(
    alice,
    'rules',
    {
      displayName: 'Team norms',
      description: 'Ground rules for project rooms.',
      body: '# Team norms\n\n- Be kind and stay on topic.\n- Agents answer only when mentioned.',
    },
    trx,
  );
  await fixId(trx, 'room_documents', rules.id, ids.rulesDocument);
  const role = await documents.create(
    alice,
    'agent_role',
    {
      displayName: 'Research analyst',
      description: 'Role for agents that research and summarise.',
      body: 'You are a research analyst. Cite a source for every claim and keep answers under 200 words.',
    },
    trx,
  );
  await fixId(trx, 'room_documents', role.id, ids.agentRoleDocument);
  const critic = await documents.create(
    alice,
    'agent_role',
    {
      displayName: 'Critic',
      description: 'Role for agents that challenge plans.',
      body: 'You are a critic. Find the weakest assumption in each plan.',
    },
    trx,
  );
  await fixId(trx, 'room_documents', critic.id, ids.secondAgentRoleDocument);
  const room = await s.rooms.rooms.create(
    alice,
    {
      name: 'Launch planning',
      description: 'Plan the Q3 launch with the research agent.',
      rulesDocumentId: ids.rulesDocument,
    },
    trx,
  );
  await fixId(trx, 'rooms', room.id, ids.room);
  const invitations = s.rooms.invitations;
  // Alice owns the listing, so the agent joins at once.
  await invitations.create(
    alice,
    ids.room,
    { inviteeKind: 'agent', inviteeMembershipId: ids.agentListing, roleDocumentId: ids.agentRoleDocument },
    trx,
  );
  for (const who of [bob, dave]) {
    const invitation = await invitations.create(
      alice,
      ids.room,
      { inviteeKind: 'human', inviteeMembershipId: who.user.id },
      trx,
    );
    await invitations.accept(who, ids.room, invitation.id, trx);
  }
  // Read in the loading transaction (the rooms' services read committed rows): who joined as which participant.
  const participants = await trx('room_participants').where('roomId', ids.room).select('id', 'membershipId');
  const participantOf = (membershipId: string) =>
    participants.find((p: { membershipId: string }) => p.membershipId === membershipId)!.id as string;
  await fixId(trx, 'room_participants', participantOf(ids.agentListing), ids.agentParticipant);
  await fixId(trx, 'room_participants', participantOf(bob.user.id), ids.bobParticipant);
  await fixId(trx, 'room_participants', participantOf(dave.user.id), ids.daveParticipant);
  const open = await invitations.create(alice, ids.room, { inviteeKind: 'human' }, trx);
  await fixId(trx, 'room_invitations', open.id, ids.invitation);
  const spareInvitation = await invitations.create(alice, ids.room, { inviteeKind: 'human' }, trx);
  await fixId(trx, 'room_invitations', spareInvitation.id, ids.spareInvitation);
  const message = parseRendered(
    await s.rooms.messages.post(alice, ids.room, '@Research Assistant what did we decide about the launch date?', trx),
  );
  await fixId(trx, 'room_messages', message.id, ids.message);
  // The run the mention queued: the run worker answers it once the server runs.
  const run = await trx('room_runs').where('triggerMessageId', ids.message).first('id');
  await fixId(trx, 'room_runs', run.id, ids.run);
  const spareMessage = parseRendered(
    await s.rooms.messages.post(alice, ids.room, 'Draft agenda: scope, dates, owners.', trx),
  );
  await fixId(trx, 'room_messages', spareMessage.id, ids.spareMessage);
  const spareRoom = await s.rooms.rooms.create(
    alice,
    { name: 'Old project', description: 'Done; to be archived.' },
    trx,
  );
  await fixId(trx, 'rooms', spareRoom.id, ids.spareRoom);

  // A spoken clip, as an agent's reply gets with speech configured: a tenth of a second of silence.
  const audio = await s.media.store('audio/wav', silentWav(0.1), trx);
  await fixId(trx, 'audio_clips', audio, ids.audio);
}

/** A mono 8 kHz 16-bit PCM WAV file of silence. */
function silentWav(seconds: number): Buffer {
  const samples = Math.round(8000 * seconds);
  const wav = Buffer.alloc(44 + samples * 2);
  wav.write('RIFF', 0);
  wav.writeUInt32LE(36 + samples * 2, 4);
  wav.write('WAVEfmt ', 8);
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(8000, 24);
  wav.writeUInt32LE(16000, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36);
  wav.writeUInt32LE(samples * 2, 40);
  return wav;
}
