// Agent runs across instances, on real PostgreSQL: two app instances on one database, both workers running,
// execute every run exactly once within the per-room cap; a run whose process is killed mid-run is failed by
// the other instance's reaper. (PGlite is one process's database: there is nothing to share.)
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentListing, createPlatformClient, getRoomRun } from '@platform/client';
import { LocalAgentProvider, type AgentProvider, type AgentRequest } from '../../src/ai/agent-provider.js';
import { buildApp, type Platform } from '../../src/app.js';
import { startFakeOpenAi, type FakeOpenAi } from '../helpers/fake-openai.js';
import { allEvents, inviteAgent, newRoom, post } from '../helpers/rooms.js';
import { startTestServer, useTestServer, watchClient } from '../helpers/server.js';
import { newUser } from '../helpers/users.js';

const onPostgres = !!process.env.DATABASE_URL;
const root = join(import.meta.dirname, '..', '..');

/** The local agent, slowed down (so runs overlap), counting what each instance executes and how many run at once per room. */
class Counting implements AgentProvider {
  readonly name = 'counting';
  executed = 0;
  static inFlight = new Map<string, number>();
  static maxInFlight = 0;
  constructor(private readonly roomOf: (r: AgentRequest) => string) {}
  async *stream(request: AgentRequest, signal?: AbortSignal): AsyncIterable<string> {
    const room = this.roomOf(request);
    this.executed += 1;
    Counting.inFlight.set(room, (Counting.inFlight.get(room) ?? 0) + 1);
    Counting.maxInFlight = Math.max(Counting.maxInFlight, Counting.inFlight.get(room)!);
    try {
      for await (const word of new LocalAgentProvider().stream(request, signal)) {
        await new Promise((r) => setTimeout(r, 1));
        yield word;
      }
    } finally {
      Counting.inFlight.set(room, Counting.inFlight.get(room)! - 1);
    }
  }
}

async function until(what: string, check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!onPostgres)('agent runs on two instances (PostgreSQL; set DATABASE_URL)', () => {
  const roomOf = (r: AgentRequest) => r.messages.at(-1)!.content.split(' ')[0]!; // "Owner: @Agent ..." -> the room's owner name
  const a = new Counting(roomOf);
  const b = new Counting(roomOf);
  const runs = { concurrency: 4, perRoom: 2, pollMs: 50, heartbeatMs: 200, staleAfterMs: 2000, maxToolCalls: 8 };
  const server = useTestServer({ runs }, { providers: { agent: a } });
  let second: Platform;
  beforeAll(async () => {
    server.platform.services.rooms.worker.start();
    second = await buildApp(server.config, { jobs: false, providers: { agent: b } });
    second.services.rooms.worker.start();
  });
  afterAll(async () => {
    await second?.close();
  });

  it('executes each of 30 runs exactly once, never more than the per-room cap at a time', async () => {
    const owner = await newUser('Busy');
    const room = await newRoom(owner);
    const listing = (await createAgentListing({ body: { name: 'Agent', model: 'local' }, ...owner.as })).data!;
    await inviteAgent(room.id, owner, listing.id);
    await Promise.all(Array.from({ length: 30 }, (_, n) => post(room.id, owner, `@Agent question ${n}`)));
    await until(
      'every run to end',
      async () => (await allEvents(room.id, owner)).filter((e) => e.type === 'run.completed').length === 30,
      45_000,
    );
    const events = await allEvents(room.id, owner);
    const perRun = new Map<string, string[]>();
    for (const e of events.filter((e) => e.type.startsWith('run.'))) {
      const id = (e.payload as { runId: string }).runId;
      perRun.set(id, [...(perRun.get(id) ?? []), e.type]);
    }
    expect(perRun.size).toBe(30);
    for (const types of perRun.values()) expect(types).toEqual(['run.queued', 'run.started', 'run.completed']);
    expect(events.filter((e) => e.type === 'message.posted' && e.actor.kind === 'agent')).toHaveLength(30);
    expect(a.executed + b.executed).toBe(30);
    expect(Counting.maxInFlight).toBeLessThanOrEqual(2);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    console.info(
      `runs executed: instance A ${a.executed}, instance B ${b.executed}; at most ${Counting.maxInFlight} at once in the room`,
    );
  }, 60_000);
});

describe.skipIf(!onPostgres)('a run whose process is killed (PostgreSQL; set DATABASE_URL)', () => {
  let fake: FakeOpenAi;
  beforeAll(async () => {
    fake = await startFakeOpenAi();
  });
  afterAll(async () => {
    await fake?.close();
  });

  it('is failed by another instance once its heartbeat is older than the stale timeout', async () => {
    const api = await startTestServer({
      runs: { concurrency: 4, perRoom: 2, pollMs: 50, heartbeatMs: 200, staleAfterMs: 1500, maxToolCalls: 8 },
    });
    const client = createPlatformClient({ baseUrl: api.baseUrl });
    watchClient(client);
    // The worker that will die: a separate server process on the same database, its agent a model that never answers.
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: root,
      env: {
        ...process.env,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
        DATABASE_URL: api.config.databaseUrl,
        DATABASE_SCHEMA: api.config.databaseSchema,
        AGENT_BASE_URL: fake.baseUrl,
        AGENT_TIMEOUT_MS: '600000',
        RUN_POLL_MS: '50',
        RUN_HEARTBEAT_MS: '200',
      },
      stdio: 'ignore',
    });
    try {
      const owner = await newUser('Owner', { client });
      const room = await newRoom(owner);
      const listing = (await createAgentListing({ body: { name: 'Stuck', model: 'fake-silent' }, ...owner.as })).data!;
      await inviteAgent(room.id, owner, listing.id);
      await post(room.id, owner, '@Stuck hello');
      const runId = (
        (await allEvents(room.id, owner)).find((e) => e.type === 'run.queued')!.payload as { runId: string }
      ).runId;
      const status = async () =>
        (await getRoomRun({ path: { room_id: room.id, run_id: runId }, ...owner.as })).data!.status;
      await until('the child process to claim the run', async () => (await status()) === 'running', 60_000);
      child.kill('SIGKILL');
      const killedAt = Date.now();
      // The surviving instance runs its reaper (every instance does, on a timer).
      api.platform.services.rooms.worker.start();
      await until('the reaper to fail the run', async () => (await status()) === 'failed', 20_000);
      const waited = Date.now() - killedAt;
      const run = (await getRoomRun({ path: { room_id: room.id, run_id: runId }, ...owner.as })).data!;
      expect(run.error).toBe('The run stopped responding: its worker sent no heartbeat for 2 s.');
      expect(waited).toBeGreaterThanOrEqual(1000); // not before its heartbeat went stale
      const types = (await allEvents(room.id, owner)).filter((e) => e.type.startsWith('run.')).map((e) => e.type);
      expect(types).toEqual(['run.queued', 'run.started', 'run.failed']);
    } finally {
      child.kill('SIGKILL');
      await api.stop();
    }
  }, 120_000);
});
