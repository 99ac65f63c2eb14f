// The demo data's fixed names: the accounts, their password and API keys, and the id of every object the
// docs' samples use. The contract's examples repeat these ids (most were its examples already; the made-up
// ones carry their kind in their second block), and test/docs/samples-*.test.ts runs the samples against a
// demo server, so an id that drifts fails there. Public by design: demo mode is for trying the API on a
// laptop, never for production (config.ts refuses it there).

/**
 * `npm start`'s address, which the docs' samples call: the docs served at /docs show the origin they are
 * served from instead (src/http/site.ts).
 */
export const DEFAULT_BASE_URL = 'http://localhost:3000';

/** Every demo account's password (the contract's sign-in example). */
export const DEMO_PASSWORD = 'correct-horse-battery-staple';

/** Ids made up for the demo data where the contract's examples had none to reuse. */
const id = (kind: number, n: number) =>
  `de300000-${kind.toString(16).padStart(4, '0')}-4000-8000-${n.toString(16).padStart(12, '0')}`;
/**
 * Shorter than a real key (`pk_` and 40 letters and digits, src/auth/tokens.ts), so samples stay narrow; the
 * server only hashes what it is sent, and the first 9 characters are still `pk_` and 6 letters.
 */
const key = (name: string) => `pk_Demo${name}Key`;

export const DEMO_USERS = {
  alice: {
    id: 'f9b67704-e44f-4cda-b942-3de4223510e9',
    name: 'Alice',
    email: 'alice@example.com',
    apiKey: key('Alice'),
    apiKeyId: id(2, 1),
    about:
      'owns Acme Official (a paid community with an agent), the lounge, the launch room, the documents and the agents',
  },
  bob: {
    id: '2c9a7e31-5b8d-4f60-a1c3-d4e5f6a7b812',
    name: 'Bob',
    email: 'bob@example.com',
    apiKey: key('Bob'),
    apiKeyId: id(2, 2),
    about: 'a member of Acme Official and its customer-service customer; in the launch room; chatting in the lounge',
  },
  carol: {
    id: '86225945-9e22-443b-9c84-5e301674126e',
    name: 'Carol',
    email: 'carol@example.com',
    apiKey: key('Carol'),
    apiKeyId: id(2, 3),
    about: "Acme Official's customer-service agent; owns Globex Support (awaiting verification)",
  },
  dave: {
    id: '166b3555-9416-4031-b6e0-af16def17ec3',
    name: 'Dave',
    email: 'dave@example.com',
    apiKey: key('Dave'),
    apiKeyId: id(2, 4),
    about: 'in the launch room; a member of no community yet',
  },
  ada: {
    id: id(1, 5),
    name: 'Ada',
    email: 'ada@example.com',
    apiKey: key('Ada'),
    apiKeyId: id(2, 5),
    about: 'an admin, made by the operator (as `npm run admin -- grant` does)',
  },
} as const;

export type DemoUser = keyof typeof DEMO_USERS;

/** What each account's wallet is credited at load, in credits. */
export const DEMO_CREDITS = 1000;

export const DEMO_IDS = {
  /** Alice's second API key ("Old laptop"), the one the deleteApiKey sample revokes. */
  spareApiKey: '5880f357-b906-4afc-902f-4cb5eb32d8dc',
  /** Alice's public space "Arena" (gaming) and its open session. */
  space: '799fcab5-c3cc-4f83-aab3-4ccfedab4f8b',
  spaceSession: '087fe42a-4ba7-41db-bac2-7c113bbb52cf',
  spareSpace: id(3, 2),
  /** Acme Official: official (hybrid customer service), join fee 5, monthly 4.99, agent calls 0.5; Alice owns it. */
  community: '0b6f1c52-3c1e-4b7a-9a55-2f0e6d8c1a01',
  /** Globex Support: Carol's official community, with a pending verification request. */
  otherCommunity: id(5, 2),
  spareCommunity: id(5, 4),
  /** Alice's lounge "Synthwave Lounge" (subscription 9.99 a month). */
  lounge: '3809f171-f4ad-4f93-b36f-644698ec0852',
  /** Alice's public agent "Research Assistant": Acme Official's agent and the launch room's agent. */
  agentListing: '6a1d3f9e-2b47-4c8a-9e15-7f3b2d4c5a21',
  /** Alice's "Lounge Host" agent: the lounge's agent, the space session's bot; in no community. */
  secondAgentListing: '5349b907-1917-4328-b9b9-cf0b449087c8',
  /** Alice's "Assistant" agent, in nothing. */
  thirdAgentListing: '6fc33caf-55df-4c6c-a6a1-74b9f16bf48c',
  spareAgentListing: id(6, 4),
  /** Bob's customer-service conversation in Acme Official (the AI answers; he can ask for a human). */
  officialConversation: '7b3e9d12-4c5a-4e8f-b1d2-3a4c5e6f7081',
  /** Globex Support's pending verification request. */
  verificationRequest: '8a72d3d2-9eea-4fa1-98bb-d809c93d3fbc',
  /** "Launch planning": Alice (owner), Bob, Dave and the Research Assistant; two open invitations. */
  room: '497f6eca-6276-4993-bfeb-53cbbbba6f08',
  spareRoom: id(10, 2),
  agentParticipant: 'a1fe93bb-95f0-49cc-a6c0-be04ed8aa50a',
  bobParticipant: 'c5746c4a-a3d6-4c4d-9342-9047b14ce7f4',
  daveParticipant: id(11, 4),
  /** An open invitation to the launch room (any signed-in user holding it may accept it once). */
  invitation: '0144f240-2a8d-4196-ad5a-b485459435f9',
  spareInvitation: id(12, 2),
  /** Alice's message in the launch room, mentioning the agent (which answered in a run). */
  message: '5cfc9fb2-10f3-4cbf-a187-302da1426b29',
  spareMessage: id(13, 2),
  /** "Team norms" (rules), "Research analyst" and "Critic" (agent roles), all Alice's. */
  rulesDocument: 'd4ac63fa-026f-4a3e-a7a6-0fe06012b8e5',
  agentRoleDocument: 'a94e1437-edb5-4d8f-8082-8e6bfd97d885',
  secondAgentRoleDocument: 'deb26492-4453-45c6-99b3-3959a27f55fe',
  /** The agent's run answering Alice's message. */
  run: '78c33d18-170c-44d3-a227-b3194f134f73',
  /** A short spoken clip (what an agent's reply gets when speech is configured). */
  audio: '5f0e2b7a-9c4d-4e1f-8a3b-6d2c1e0f9a87',
} as const;
