// Child process: the load generator. It stays up for the whole run and takes jobs over IPC:
// { type: 'run', spec } runs autocannon against one URL and replies { type: 'run:reply', ...LoadResult }.
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import { exitOnSignal, report, runChild, type Message } from './common.js';

export interface LoadSpec {
  url: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  seconds: number;
  /** One bearer token per request, each used once, across the runs on one URL (then 401s: the run fails). */
  rotateTokens?: string[];
  /** A JSON body field set to a fresh UUID on every request (an idempotency key: each request is a new one). */
  freshKey?: string;
  /** Paths (with query) the requests go to in turn, instead of the URL's (posts spread over many rooms). */
  rotatePaths?: string[];
}

export interface LoadResult {
  rps: number;
  /** Seconds actually measured. */
  seconds: number;
  p50: number;
  p99: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCounts: Record<string, number>;
  /** The load generator's own CPU over the run (user + system), µs. */
  loadCpuUs: number;
}

/** Per URL, how many of its rotated tokens the runs so far have used. */
const used = new Map<string, number>();

async function run(spec: LoadSpec): Promise<LoadResult> {
  const tokens = spec.rotateTokens;
  const { freshKey, body, rotatePaths: paths } = spec;
  const template = freshKey && body ? (JSON.parse(body) as Record<string, unknown>) : undefined;
  let sent = 0;
  const requests: autocannon.Request[] | undefined =
    tokens || template || paths
      ? [
          {
            setupRequest: (req) => {
              let next = req;
              if (paths) next = { ...next, path: paths[sent++ % paths.length] };
              if (tokens) {
                const n = used.get(spec.url) ?? 0;
                used.set(spec.url, n + 1);
                next = {
                  ...next,
                  headers: { ...next.headers, authorization: `Bearer ${tokens[n] ?? 'out-of-tokens'}` },
                };
              }
              if (template) next = { ...next, body: JSON.stringify({ ...template, [freshKey!]: randomUUID() }) };
              return next;
            },
          },
        ]
      : undefined;
  const cpuBefore = process.cpuUsage();
  const result = await autocannon({
    url: spec.url,
    method: spec.method,
    headers: spec.headers,
    body: spec.body,
    connections: spec.connections,
    duration: spec.seconds,
    pipelining: 1,
    ...(requests ? { requests } : {}),
  });
  const cpu = process.cpuUsage(cpuBefore);
  const statusCounts: Record<string, number> = {};
  for (const key of ['1xx', '2xx', '3xx', '4xx', '5xx'] as const) if (result[key]) statusCounts[key] = result[key];
  return {
    rps: result.requests.total / result.duration,
    seconds: result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCounts,
    loadCpuUs: cpu.user + cpu.system,
  };
}

runChild(async () => {
  process.on('message', (raw) => {
    const message = raw as Message & { spec: LoadSpec };
    if (message.type !== 'run') return;
    run(message.spec).then(
      (result) => report({ type: 'run:reply', ...result }),
      (error: unknown) => report({ type: 'error', message: error instanceof Error ? error.message : String(error) }),
    );
  });
  exitOnSignal(async () => undefined);
  report({ type: 'ready' });
});
