// The stream fan-out row: one room followed by many clients spread over the instances (two on PostgreSQL, one
// on PGlite, whose data directory one process holds), while messages are posted through the instances in
// turn at a steady rate. Measured per event and client, from the event's `createdAt` (taken in the writing
// transaction, just before its commit) to the moment the client read it: live streams (GET /stream) beside
// the same clients polling the events operation (GET /events?afterSeq=...) every `pollIntervalMs`. Also:
// events delivered per second (all clients together), whether every client got every event exactly once and
// in order, the servers' CPU, and each server's memory (after a full GC) per connected stream client.
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { startChild, targetToEnv, type Child, type DatabaseTarget, type Message } from './common.js';

export interface FanoutOptions {
  clients: number;
  /** Messages posted per second: one window of each rate, streams and polling alike. */
  rates: number[];
  seconds: number;
  pollIntervalMs: number;
  /** A CPU profile of each instance into this directory (`--profile stream`). */
  profileDir?: string;
}

export interface FanoutRun {
  rate: number;
  events: number;
  postedPerSecond: number;
  deliveries: number;
  expected: number;
  /** Clients that got every event exactly once, in order. */
  complete: number;
  deliveredPerSecond: number;
  p50: number;
  p99: number;
  max: number;
  /** Server CPU over the window, all instances together, in % of one core. */
  serverCpuPercent: number;
  serverRequestsPerSecond: number;
  /** Polls that failed (an error status or a broken connection). */
  failedPolls: number;
  /** The clients' process, in % of one core: when it nears 100%, the clients are what limits the delay. */
  clientCpuPercent: number;
}

export interface StreamFanout extends Omit<FanoutOptions, 'profileDir'> {
  instances: number;
  stream: FanoutRun[];
  poll: FanoutRun[];
  /** Per connected stream client, averaged over the instances: RSS and JS heap growth after a full GC. */
  /** The machine's 1-minute load average before and after the row (everything else running on its cores). */
  loadAverage: [number, number];
  /** Measured between half and all of the clients connected; `baselineRssMb`: an instance's RSS with half connected. */
  memory: { rssBytesPerClient: number; heapBytesPerClient: number; baselineRssMb: number };
}

const log = (text: string) => console.log(`[bench] stream fan-out: ${text}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Instance {
  child: Child;
  port: number;
}

async function json(port: number, method: string, path: string, token?: string, body?: unknown): Promise<any> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** Posts `count` messages at `rate` per second (open loop: on schedule, not after the previous answer), instance by instance in turn. */
async function postSteadily(
  instances: Instance[],
  roomId: string,
  token: string,
  count: number,
  rate: number,
): Promise<{ first: number; last: number; lastSeq: number }> {
  const started = performance.timeOrigin + performance.now();
  const posts: Array<Promise<{ seq: number }>> = [];
  for (let n = 0; n < count; n++) {
    const due = started + (n * 1000) / rate;
    const wait = due - (performance.timeOrigin + performance.now());
    if (wait > 0) await sleep(wait);
    const instance = instances[n % instances.length]!;
    posts.push(
      json(instance.port, 'POST', `/api/v1/rooms/${roomId}/messages`, token, {
        body: `Fan-out message ${n}, hello everyone.`,
        idempotencyKey: randomUUID(),
      }),
    );
  }
  const done = await Promise.all(posts);
  return {
    first: started,
    last: performance.timeOrigin + performance.now(),
    lastSeq: Math.max(...done.map((m) => m.seq)),
  };
}

async function createdAtBySeq(
  port: number,
  roomId: string,
  token: string,
  afterSeq: number,
  toSeq: number,
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (let after = afterSeq; after < toSeq; ) {
    const { items } = (await json(
      port,
      'GET',
      `/api/v1/rooms/${roomId}/events?afterSeq=${after}&limit=100`,
      token,
    )) as { items: Array<{ seq: number; createdAt: string }> };
    if (!items.length) break;
    for (const item of items) out[String(item.seq)] = Date.parse(item.createdAt);
    after = items.at(-1)!.seq;
  }
  return out;
}

async function window(
  instances: Instance[],
  clients: Child,
  roomId: string,
  token: string,
  afterSeq: number,
  rate: number,
  seconds: number,
): Promise<FanoutRun> {
  const count = Math.round(rate * seconds);
  const before = await Promise.all(instances.map((i) => i.child.ask({ type: 'stats' })));
  const clientsBefore = (await clients.ask({ type: 'cpu' })).cpuUs as number;
  const posted = await postSteadily(instances, roomId, token, count, rate);
  const until = await clients.ask({ type: 'until', seq: posted.lastSeq, timeoutMs: 60_000 }, 90_000);
  const after = await Promise.all(instances.map((i) => i.child.ask({ type: 'stats' })));
  if (!until.done) log(`${until.behind} clients had not received seq ${posted.lastSeq} after 60 s`);
  const createdAt = await createdAtBySeq(instances[0]!.port, roomId, token, afterSeq, posted.lastSeq);
  const r = await clients.ask({ type: 'results', createdAt, from: afterSeq + 1, to: posted.lastSeq }, 60_000);
  const wallMs = Math.max(r.lastDeliveryAt as number, posted.last) - posted.first;
  const sum = (f: (m: Message, i: number) => number) => instances.reduce((acc, _, i) => acc + f(after[i]!, i), 0);
  return {
    rate,
    events: count,
    postedPerSecond: count / ((posted.last - posted.first) / 1000),
    deliveries: r.deliveries as number,
    expected: r.expected as number,
    complete: r.complete as number,
    deliveredPerSecond: (r.deliveries as number) / (wallMs / 1000),
    p50: r.p50 as number,
    p99: r.p99 as number,
    max: r.max as number,
    serverCpuPercent: (100 * sum((m, i) => (m.cpuUs as number) - (before[i]!.cpuUs as number))) / 1000 / wallMs,
    serverRequestsPerSecond: sum((m, i) => (m.requests as number) - (before[i]!.requests as number)) / (wallMs / 1000),
    failedPolls: r.pollErrors as number,
    clientCpuPercent: (100 * ((r.cpuUs as number) - clientsBefore)) / 1000 / wallMs,
  };
}

export async function measureStreamFanout(target: DatabaseTarget, options: FanoutOptions): Promise<StreamFanout> {
  const count = target.kind === 'postgres' ? 2 : 1;
  const loadBefore = loadavg()[0]!;
  const instances: Instance[] = [];
  for (let i = 0; i < count; i++) {
    const profile = options.profileDir ? ['--cpu-prof', '--cpu-prof-dir', options.profileDir] : [];
    const child = startChild(`stream instance ${i + 1}`, 'stream-server.ts', {
      env: targetToEnv(target),
      nodeFlags: ['--expose-gc', ...profile],
    });
    instances.push({ child, port: (await child.next('ready', 120_000)).port as number });
  }
  const clients = startChild('stream clients', 'stream-clients.ts');
  await clients.next('ready');
  try {
    const port = instances[0]!.port;
    const { token } = await json(port, 'POST', '/api/auth/sign-up', undefined, {
      name: 'Fan-out owner',
      email: `fanout.${randomUUID()}@example.com`,
      password: 'bench-password',
    });
    const room = await json(port, 'POST', '/api/v1/rooms', token, { name: 'Fan-out room' });
    const memory = async () => Promise.all(instances.map((i) => i.child.ask({ type: 'memory' })));
    const connect = async (n: number, total: number) => {
      await clients.ask(
        { type: 'stream', ports: instances.map((i) => i.port), roomId: room.id, token, clients: n, afterSeq: 2 },
        120_000,
      );
      let measured = await memory();
      for (let i = 0; i < 100 && measured.reduce((acc, m) => acc + (m.followers as number), 0) < total; i++) {
        await sleep(100);
        measured = await memory();
      }
      return measured;
    };
    // Memory per client: between half and all of them connected, so that what the first stream costs once
    // (code compiled on first use, the room's feed, the bus connection) is not counted per client.
    log(`${options.clients} stream clients over ${count} instance(s)...`);
    const half = Math.floor(options.clients / 2);
    const halfway = await connect(half, half);
    const connected = await connect(options.clients - half, options.clients);
    const per = (field: 'rss' | 'heapUsed') =>
      connected.reduce((acc, m, i) => acc + (m[field] as number) - (halfway[i]![field] as number), 0) /
      (options.clients - half);
    const stats = {
      rssBytesPerClient: per('rss'),
      heapBytesPerClient: per('heapUsed'),
      baselineRssMb: halfway.reduce((acc, m) => acc + (m.rss as number), 0) / count / 2 ** 20,
    };
    log(
      `memory per connected client: ${(stats.rssBytesPerClient / 1024).toFixed(1)} KiB RSS, ${(stats.heapBytesPerClient / 1024).toFixed(1)} KiB heap`,
    );

    const latest = async () =>
      (await json(port, 'GET', `/api/v1/rooms/${room.id}/timeline?limit=1`, token)).latestSeq as number;
    const stream: FanoutRun[] = [];
    for (const rate of options.rates) {
      const run = await window(instances, clients, room.id, token, await latest(), rate, options.seconds);
      log(
        `streams at ${rate}/s: ${Math.round(run.deliveredPerSecond)} events/s delivered, p50 ${run.p50.toFixed(1)} ms, p99 ${run.p99.toFixed(1)} ms, ` +
          `${run.complete}/${options.clients} clients complete, server CPU ${Math.round(run.serverCpuPercent)}%, clients CPU ${Math.round(run.clientCpuPercent)}%`,
      );
      stream.push(run);
    }
    await clients.ask({ type: 'stop' });

    const { profileDir: _profile, ...settings } = options;
    const poll: FanoutRun[] = [];
    const result = (): StreamFanout => ({
      ...settings,
      instances: count,
      stream,
      poll,
      memory: stats,
      loadAverage: [loadBefore, loadavg()[0]!],
    });
    // Polling by 1,000 clients every second overwhelms the embedded database's one connection (requests fail).
    if (target.kind === 'pglite') return result();
    log(`${options.clients} pollers every ${options.pollIntervalMs} ms...`);
    await clients.ask(
      {
        type: 'poll',
        ports: instances.map((i) => i.port),
        roomId: room.id,
        token,
        clients: options.clients,
        afterSeq: await latest(),
        intervalMs: options.pollIntervalMs,
      },
      120_000,
    );
    for (const rate of options.rates) {
      const run = await window(instances, clients, room.id, token, await latest(), rate, options.seconds);
      log(
        `polling at ${rate}/s: ${Math.round(run.deliveredPerSecond)} events/s delivered, p50 ${run.p50.toFixed(1)} ms, p99 ${run.p99.toFixed(1)} ms, ` +
          `${Math.round(run.serverRequestsPerSecond)} requests/s, server CPU ${Math.round(run.serverCpuPercent)}%, clients CPU ${Math.round(run.clientCpuPercent)}%`,
      );
      poll.push(run);
    }
    await clients.ask({ type: 'stop' });
    return result();
  } finally {
    await Promise.all([clients, ...instances.map((i) => i.child)].map((c) => c.stop()));
  }
}
