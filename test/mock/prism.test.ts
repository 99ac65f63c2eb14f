// The mock check: the partners' sandbox from the contract alone (`npm run mock`, Prism) and Prism's validating
// proxy in front of the real server, as a partner runs them. The mock must answer every event stream with a
// valid stream (each event's data valid against the stream's x-item-schema, `event:` its type), the audio as
// audio, and JSON reads with bodies valid against their schemas. The proxy (`--errors`: a response that breaks
// the contract becomes an error) must pass a real room stream and a real agent chat stream as they are.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addCommunityAgent, createAgentListing, createCommunity, joinCommunity, leaveRoom } from '@platform/client';
import { check } from '../helpers/ajv.js';
import { doc, operations, repoRoot, resolve, type Schema } from '../helpers/contract.js';
import { joinRoom, newRoom, post } from '../helpers/rooms.js';
import { useTestServer } from '../helpers/server.js';
import { parseEventStream } from '../helpers/sse.js';
import { newUser } from '../helpers/users.js';
import { freePort } from '../helpers/ports.js';

const PRISM = join(repoRoot, 'node_modules', '.bin', 'prism');
const CONTRACT = join(repoRoot, 'generated', 'openapi.json');
const ANY_UUID = '497f6eca-6276-4993-bfeb-53cbbbba6f08';

interface Prism {
  baseUrl: string;
  process: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

/** Starts `prism <args>` on a free port and waits until it listens. */
async function startPrism(args: string[]): Promise<Prism> {
  const port = await freePort();
  const child = spawn(PRISM, [...args, '--port', String(port), '--host', '127.0.0.1'], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 60_000;
  while (!output.includes('Prism is listening')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`prism did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    process: child,
    output: () => output,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A request Prism accepts for the operation: its parameters' and body's examples, and a credential. */
function exampleRequest(method: string, path: string, op: Schema): { url: string; init: RequestInit } {
  let url = path;
  const query = new URLSearchParams();
  for (const raw of op.parameters ?? []) {
    const p = resolve(raw);
    const value = p.example ?? (p.schema?.format === 'uuid' ? ANY_UUID : undefined);
    if (p.in === 'path') url = url.replace(`{${p.name}}`, String(value ?? ANY_UUID));
    else if (p.in === 'query' && p.required) query.set(p.name, String(value));
  }
  const body = op.requestBody ? resolve(op.requestBody).content['application/json'] : undefined;
  const headers: Record<string, string> = { Authorization: 'Bearer sandbox-token' };
  if (body) headers['Content-Type'] = 'application/json';
  return {
    url: `${url}${query.size ? `?${query}` : ''}`,
    init: {
      method: method.toUpperCase(),
      headers,
      ...(body
        ? {
            body: JSON.stringify(
              body.example ?? Object.values(body.examples ?? {}).map((e: any) => resolve(e).value)[0],
            ),
          }
        : {}),
    },
  };
}

const successOf = (op: Schema) => Object.entries(op.responses).find(([status]) => status.startsWith('2'))!;
const mediaOf = (op: Schema, type: string) => resolve(successOf(op)[1]).content?.[type];
const streams = operations.filter((o) => mediaOf(o.op, 'text/event-stream'));
const jsonReads = operations.filter((o) => o.method === 'get' && mediaOf(o.op, 'application/json'));

/** Every event of an SSE body valid against the item schema, `event:` (when sent) its type. */
function expectValidStream(text: string, itemSchema: Schema): void {
  const events = parseEventStream(text);
  expect(events.length).toBeGreaterThan(0);
  for (const event of events) {
    expect(check(itemSchema, event.data), JSON.stringify(event.data).slice(0, 200)).toBe('');
    if (event.event !== undefined) expect(event.event).toBe(event.data.type);
  }
}

describe('npm run mock: Prism serves the contract alone', () => {
  let prism: Prism;
  beforeAll(async () => {
    prism = await startPrism(['mock', CONTRACT]);
  }, 90_000);
  afterAll(async () => {
    await prism?.stop();
  });

  it('has the three stream operations to check', () => {
    expect(streams.map((s) => s.op.operationId).sort()).toEqual([
      'chatInConversation',
      'chatWithCommunityAgent',
      'streamRoomEvents',
    ]);
  });

  it.each(streams.map((s) => [s.op.operationId, s] as const))(
    '%s: a valid event stream',
    async (_id, { method, path, op }) => {
      const { url, init } = exampleRequest(method, path, op);
      const response = await fetch(`${prism.baseUrl}${url}`, init);
      expect(response.status, await response.clone().text()).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expectValidStream(await response.text(), mediaOf(op, 'text/event-stream')['x-item-schema']);
    },
  );

  it('getAudio: audio bytes, not a 406', async () => {
    const response = await fetch(`${prism.baseUrl}/api/audio/${ANY_UUID}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('audio/mpeg');
  });

  it.each(jsonReads.map((o) => [o.op.operationId, o] as const))(
    '%s: a JSON answer valid against its schema',
    async (_id, { method, path, op }) => {
      const { url, init } = exampleRequest(method, path, op);
      const response = await fetch(`${prism.baseUrl}${url}`, init);
      const [status, raw] = successOf(op);
      expect(response.status, await response.clone().text()).toBe(Number(status));
      expect(check(resolve(raw).content['application/json'].schema, await response.json())).toBe('');
    },
  );
});

describe("Prism's validating proxy in front of the real server", () => {
  const server = useTestServer();
  let prism: Prism;
  beforeAll(async () => {
    prism = await startPrism(['proxy', CONTRACT, server.baseUrl, '--errors']);
  }, 90_000);
  afterAll(async () => {
    await prism?.stop();
  });

  it('passes a real room stream as it is (Prism forwards a stream once it ends: here, after the follower leaves)', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const room = await newRoom(alice);
    await joinRoom(room.id, alice, bob);
    await post(room.id, alice, 'hello through the proxy');
    const reading = fetch(`${prism.baseUrl}/api/v1/rooms/${room.id}/stream?afterSeq=0`, {
      headers: { Authorization: `Bearer ${bob.token}` },
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    await leaveRoom({ path: { room_id: room.id }, ...bob.as });
    const response = await reading;
    const text = await response.text();
    expect(response.status, text).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expectValidStream(text, doc.components.schemas.RoomEvent);
    const events = parseEventStream(text);
    expect(events.map((e) => Number(e.id))).toEqual(events.map((_e, i) => i + 1)); // the whole log, in order
    expect(events.map((e) => e.data.type)).toContain('message.posted');
    expect(events.at(-1)!.data).toMatchObject({ type: 'participant.left' });
    expect(prism.output()).not.toMatch(/violation/i);
  });

  it('passes a real agent chat stream as it is', async () => {
    const creator = await newUser('Creator');
    const member = await newUser('Member');
    const listing = (
      await createAgentListing({
        body: { name: 'Assistant', model: 'local', instructions: 'Answer briefly.' },
        ...creator.as,
      })
    ).data!;
    const id = (await createCommunity({ body: { name: 'Club', agentCallFee: 0 }, ...creator.as })).data!.id;
    await addCommunityAgent({ path: { id }, body: { listingId: listing.id }, ...creator.as });
    await joinCommunity({ path: { id }, ...member.as });
    const response = await fetch(`${prism.baseUrl}/api/communities/${id}/agent-chat`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${member.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ content: 'What is new?', listingId: listing.id }),
    });
    const text = await response.text();
    expect(response.status, text).toBe(200);
    expectValidStream(text, doc.components.schemas.AgentChatEvent);
    const types = parseEventStream(text).map((e) => e.data.type);
    expect(types[0]).toBe('meta');
    expect(types.at(-1)).toBe('done');
    expect(prism.output()).not.toMatch(/violation/i);
  });
});
