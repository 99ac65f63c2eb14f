// The agent chat's time to first chunk: from sending `POST /api/communities/{id}/agent-chat` (a free agent:
// call fee 0) to reading the first `chunk` event, one request at a time, on the full stack and on the bare
// server doing the same work (bare-agent-chat.ts: the same SQL, the same events, from the same provider),
// interleaved, and the provider alone called in this process. Before measuring, both servers answer one
// request with the same events (ids aside) and the same SQL statements.
import type { AgentProvider } from '../../src/ai/agent-provider.js';
import { untilSame } from './common.js';

export interface Percentiles {
  p50: number;
  p90: number;
}

export interface FirstChunk {
  /** `local`, or `openai-compatible` (the bench's fake server). */
  provider: string;
  requests: number;
  /** To the `meta` event (the stream's first: the call's transaction committed) and to the first `chunk`. */
  platform: { meta: Percentiles; chunk: Percentiles };
  bare: { meta: Percentiles; chunk: Percentiles };
  /** The provider's stream called in the bench process, to its first delta. */
  direct: Percentiles;
  /** Platform minus bare to the first chunk, request by request (each pair sent back to back): its p50 is the robust one. */
  paired: Percentiles;
  /** SQL statements each server ran for one request (the same on both). */
  statements: number;
  /** Each server's own CPU time per request over the measured ones (whole request, reply stored). */
  cpuUs: { platform: number; bare: number };
}

/** A server under test: its port, and its SQL trace (on, then off returns the statements). */
export interface ChatServer {
  name: string;
  port: number;
  trace(on: boolean): Promise<string[]>;
  /** The server process's CPU time so far, µs. */
  cpuUs(): Promise<number>;
}

const percentiles = (values: number[]): Percentiles => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  return { p50: at(0.5), p90: at(0.9) };
};

interface Exchange {
  meta: number;
  chunk: number;
  text: string;
}

/** Milliseconds to the meta and first chunk events; reads the rest of the stream (the reply is stored) before returning. */
async function chatOnce(server: ChatServer, path: string, token: string, body: string): Promise<Exchange> {
  const started = performance.now();
  const response = await fetch(`http://127.0.0.1:${server.port}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'text/event-stream' },
    body,
  });
  if (response.status !== 200)
    throw new Error(`${server.name}: agent-chat answered ${response.status}: ${await response.text()}`);
  const decoder = new TextDecoder();
  let text = '';
  let chunk: number | undefined;
  let meta: number | undefined;
  for await (const bytes of response.body as unknown as AsyncIterable<Uint8Array>) {
    text += decoder.decode(bytes, { stream: true });
    if (meta === undefined && text.includes('"type":"meta"')) meta = performance.now() - started;
    if (chunk === undefined && text.includes('"type":"chunk"')) chunk = performance.now() - started;
  }
  if (chunk === undefined || meta === undefined)
    throw new Error(`${server.name}: agent-chat sent no meta or chunk: ${text.slice(0, 500)}`);
  return { meta, chunk, text };
}

async function directOnce(provider: AgentProvider, content: string): Promise<number> {
  const started = performance.now();
  const stream = provider
    .stream({ model: 'local', instructions: 'You are the bench agent.', messages: [{ role: 'user', content }] })
    [Symbol.asyncIterator]();
  await stream.next();
  const ms = performance.now() - started;
  while (!(await stream.next()).done) {
    /* the rest of the reply */
  }
  return ms;
}

/** The events of a stream, the ids each server makes replaced by their names. */
const eventsOf = (text: string) =>
  text
    .split('\n\n')
    .filter(Boolean)
    .map((block) => block.replace(/"(userMessageId|agentMessageId)":"[^"]+"/g, '"$1":"…"'));

/** One traced request to each server: the same events and the same SQL statements, else it throws. Returns how many statements. */
async function checkParity(
  platform: ChatServer,
  bare: ChatServer,
  path: string,
  token: string,
  body: string,
): Promise<number> {
  const traced = async (server: ChatServer) => {
    await server.trace(true);
    const { text } = await chatOnce(server, path, token, body);
    return { events: eventsOf(text), sql: (await server.trace(false)).sort() };
  };
  const [p, b] = await untilSame(
    async () => [await traced(platform), await traced(bare)],
    ([x, y]) => JSON.stringify(x.sql) === JSON.stringify(y.sql),
  );
  if (JSON.stringify(p.events) !== JSON.stringify(b.events)) {
    throw new Error(
      `agent-chat: ${platform.name} and ${bare.name} send different events:\n  ${p.events.join('\n  ')}\nvs\n  ${b.events.join('\n  ')}`,
    );
  }
  if (JSON.stringify(p.sql) !== JSON.stringify(b.sql)) {
    throw new Error(
      `agent-chat: ${platform.name} and ${bare.name} run different SQL:\n  ${p.sql.join('\n  ')}\nvs\n  ${b.sql.join('\n  ')}`,
    );
  }
  return p.sql.length;
}

export async function measureFirstChunk(
  platform: ChatServer,
  bare: ChatServer,
  provider: AgentProvider,
  chat: { communityId: string; listingId: string; token: string },
  requests = 400,
): Promise<FirstChunk> {
  const path = `/api/communities/${chat.communityId}/agent-chat`;
  const body = (n: number | string) => JSON.stringify({ listingId: chat.listingId, content: `Bench question ${n}` });
  const statements = await checkParity(platform, bare, path, chat.token, body('parity'));
  const runs = { platform: [] as Exchange[], bare: [] as Exchange[], direct: [] as number[] };
  let cpu = { platform: 0, bare: 0 };
  for (let n = -20; n < requests; n++) {
    if (n === 0) cpu = { platform: await platform.cpuUs(), bare: await bare.cpuUs() }; // 20 warm-up rounds, not counted; the order turns every round
    const steps: Array<() => Promise<void>> = [
      async () => {
        const e = await chatOnce(platform, path, chat.token, body(n));
        if (n >= 0) runs.platform.push(e);
      },
      async () => {
        const e = await chatOnce(bare, path, chat.token, body(n));
        if (n >= 0) runs.bare.push(e);
      },
      async () => {
        const ms = await directOnce(provider, `Bench question ${n}`);
        if (n >= 0) runs.direct.push(ms);
      },
    ];
    const start = ((n % 3) + 3) % 3;
    for (let i = 0; i < steps.length; i++) await steps[(start + i) % steps.length]!();
  }
  const of = (list: Exchange[]) => ({
    meta: percentiles(list.map((e) => e.meta)),
    chunk: percentiles(list.map((e) => e.chunk)),
  });
  return {
    provider: provider.name,
    requests,
    platform: of(runs.platform),
    bare: of(runs.bare),
    direct: percentiles(runs.direct),
    paired: percentiles(runs.platform.map((e, i) => e.chunk - runs.bare[i]!.chunk)),
    statements,
    cpuUs: {
      platform: ((await platform.cpuUs()) - cpu.platform) / requests,
      bare: ((await bare.cpuUs()) - cpu.bare) / requests,
    },
  };
}
