// OpenTelemetry traces, end to end: a real server process (src/server.ts) exporting over OTLP/HTTP to a local
// receiver (a plain node:http server taking POST /v1/traces as JSON, what exporter-trace-otlp-http sends).
// With OTEL_EXPORTER_OTLP_ENDPOINT set: a SERVER span per request named by its operationId with the HTTP
// attributes, a child of an incoming traceparent; its database statements as CLIENT children, parameterized
// (never the bound values); an agent call as a CLIENT child whose traceparent reaches the provider with the same
// trace id; the trace id in an error body and in the access log line. With OTEL_SDK_DISABLED=true (and when
// nothing is set): nothing exported, no trace id anywhere.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addCommunityAgent, createAgentListing, createCommunity, createPlatformClient } from '@platform/client';
import { tracesWanted } from '../../src/config.js';
import { databaseEnv, startChildServer, type ChildServer } from '../helpers/child-server.js';
import { databaseSettings } from '../helpers/database.js';
import { startFakeOpenAi, type FakeOpenAi } from '../helpers/fake-openai.js';
import { newUser } from '../helpers/users.js';

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
}
interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, string | number | boolean | undefined>;
  service: string | undefined;
}
const SERVER = 2;
const CLIENT = 3;

/** The receiver: every span of every POST /v1/traces, flattened, with its resource's service.name. */
async function startReceiver(): Promise<{
  url: string;
  spans: ExportedSpan[];
  posts: () => number;
  close(): Promise<void>;
}> {
  const spans: ExportedSpan[] = [];
  let posts = 0;
  const value = (v: OtlpValue | undefined) =>
    v?.stringValue ?? (v?.intValue !== undefined ? Number(v.intValue) : (v?.boolValue ?? v?.doubleValue));
  const attributes = (list: Array<{ key: string; value: OtlpValue }> = []) =>
    Object.fromEntries(list.map((a) => [a.key, value(a.value)]));
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      posts += 1;
      if (req.method !== 'POST' || req.url !== '/v1/traces' || !req.headers['content-type']?.includes('json')) {
        res.writeHead(415).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      for (const rs of body.resourceSpans ?? []) {
        const service = attributes(rs.resource?.attributes)['service.name'] as string | undefined;
        for (const ss of rs.scopeSpans ?? [])
          for (const s of ss.spans ?? [])
            spans.push({
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId || undefined,
              name: s.name,
              kind: s.kind,
              attributes: attributes(s.attributes),
              service,
            });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    posts: () => posts,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function until<T>(find: () => T | undefined, what: string, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`no ${what} within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const accessLines = (server: ChildServer) =>
  server
    .stdout()
    .split('\n')
    .filter((l) => l.includes('"msg":"request"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

let receiver: Awaited<ReturnType<typeof startReceiver>>;
let fake: FakeOpenAi;
const { settings, cleanup } = await databaseSettings();
let server: ChildServer | undefined;

beforeAll(async () => {
  receiver = await startReceiver();
  fake = await startFakeOpenAi();
});
afterAll(async () => {
  await server?.kill();
  await fake?.close();
  await receiver?.close();
  await cleanup();
});

/** Every variable the SDK reads, cleared: this process's environment must not decide the child's. */
const NO_OTEL = Object.fromEntries(
  Object.keys(process.env)
    .filter((k) => k.startsWith('OTEL_'))
    .map((k) => [k, '']),
);

describe('which variables turn traces on', () => {
  it('an OTLP endpoint or OTEL_TRACES_EXPORTER=otlp, unless the SDK is disabled; other exporters stop the start', () => {
    expect(tracesWanted({})).toBe(false);
    expect(tracesWanted({ OTEL_SERVICE_NAME: 'x' })).toBe(false);
    expect(tracesWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(tracesWanted({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(true);
    expect(tracesWanted({ OTEL_TRACES_EXPORTER: 'otlp' })).toBe(true);
    expect(tracesWanted({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toBe(false);
    expect(tracesWanted({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toBe(false);
    expect(() => tracesWanted({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(/otlp or none/);
    expect(() => tracesWanted({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(/HTTP/);
  });
});

describe('traces exported over OTLP/HTTP', () => {
  it('a span per request, its statements and its agent call as children, the trace id in errors and the log', async () => {
    server = await startChildServer({
      ...databaseEnv(settings),
      ...NO_OTEL,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SERVICE_NAME: 'platform-under-test',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      AGENT_BASE_URL: fake.baseUrl,
    });
    const base = server.baseUrl;

    // An incoming traceparent is honoured: the request's span joins that trace, under that parent.
    const traceId = randomBytes(16).toString('hex');
    const parentId = randomBytes(8).toString('hex');
    const secret = `needle${randomBytes(4).toString('hex')}`;
    const listed = await fetch(`${base}/api/spaces?search=${secret}`, {
      headers: { traceparent: `00-${traceId}-${parentId}-01`, 'user-agent': 'traces-test/1' },
    });
    expect(listed.status).toBe(200);
    const request = await until(
      () => receiver.spans.find((s) => s.traceId === traceId && s.kind === SERVER),
      'request span of the traced list',
    );
    expect(request.name).toBe('listSpaces');
    expect(request.parentSpanId).toBe(parentId);
    expect(request.service).toBe('platform-under-test');
    const port = Number(new URL(base).port);
    expect(request.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.path': '/api/spaces',
      'url.scheme': 'http',
      'http.route': '/api/spaces',
      'http.response.status_code': 200,
      'server.address': '127.0.0.1',
      'server.port': port,
      'client.address': '127.0.0.1',
      'user_agent.original': 'traces-test/1',
    });
    expect(request.attributes['error.type']).toBeUndefined();
    // Its statements: CLIENT children, parameterized, the searched text nowhere in them (nor the query string).
    const statements = await until(() => {
      const found = receiver.spans.filter((s) => s.parentSpanId === request.spanId && s.kind === CLIENT);
      return found.length ? found : undefined;
    }, 'statement spans');
    for (const s of statements) {
      expect(s.traceId).toBe(traceId);
      expect(s.attributes['db.system.name']).toBe('postgresql');
      expect(s.attributes['db.operation.name']).toBe('SELECT');
      expect(s.name).toBe('SELECT');
      expect(String(s.attributes['db.query.text'])).toMatch(/^select /i);
    }
    expect(statements.some((s) => /\$1/.test(String(s.attributes['db.query.text'])))).toBe(true);
    expect(JSON.stringify(receiver.spans)).not.toContain(secret);
    // The access line names the same trace.
    const line = await until(
      () => accessLines(server!).find((l) => l.operationId === 'listSpaces'),
      'access line of the list',
    );
    expect(line.traceId).toBe(traceId);

    // An error: its problem body carries the trace id beside the request id, and its span has it too.
    const missing = await fetch(`${base}/api/spaces/${randomUUID()}`); // no credential: 401
    expect(missing.status).toBe(401);
    const problem = (await missing.json()) as { requestId: string; traceId?: string; code: string };
    expect(problem.requestId).toBeTruthy();
    expect(problem.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(problem.traceId).not.toBe(traceId);
    const errorSpan = await until(
      () => receiver.spans.find((s) => s.traceId === problem.traceId && s.kind === SERVER),
      'span of the 401',
    );
    expect(errorSpan.name).toBe('getSpace');
    expect(errorSpan.parentSpanId).toBeUndefined();
    expect(errorSpan.attributes).toMatchObject({
      'http.route': '/api/spaces/{id}',
      'http.response.status_code': 401,
    });
    expect(errorSpan.attributes['error.type']).toBeUndefined(); // a 4xx is the client's
    const errorLine = await until(
      () => accessLines(server!).find((l) => l.requestId === problem.requestId),
      'access line of the 401',
    );
    expect(errorLine.traceId).toBe(problem.traceId);

    // An agent call: a CLIENT span under the chat's request span, and the provider got the same trace.
    const client = createPlatformClient({ baseUrl: base });
    const creator = await newUser('Creator', { client });
    const as = { ...creator.as, client };
    const communityId = (await createCommunity({ body: { name: 'Traced club' }, ...as })).data!.id;
    const listingId = (await createAgentListing({ body: { name: 'Traced agent', model: 'fake-ok' }, ...as })).data!.id;
    await addCommunityAgent({ path: { id: communityId }, body: { listingId }, ...as });
    const before = fake.headers.length;
    const chat = await fetch(`${base}/api/communities/${communityId}/agent-chat`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${creator.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ content: 'Tell me something.', listingId, expectedFee: 0 }),
    });
    expect(chat.status).toBe(200);
    const events = await chat.text();
    expect(events).toContain('event: done');
    const sent = fake.headers.slice(before);
    expect(sent).toHaveLength(1);
    const traceparent = String(sent[0]!.traceparent);
    const [, sentTrace, sentParent] = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/.exec(traceparent) ?? [];
    expect(sentTrace, traceparent).toBeTruthy();
    const chatSpan = await until(
      () => receiver.spans.find((s) => s.traceId === sentTrace && s.kind === SERVER),
      'span of the agent chat',
    );
    expect(chatSpan.name).toBe('chatWithCommunityAgent');
    const outbound = await until(
      () => receiver.spans.find((s) => s.spanId === sentParent),
      'span of the call to the provider',
    );
    expect(outbound.kind).toBe(CLIENT);
    expect(outbound.traceId).toBe(chatSpan.traceId);
    expect(outbound.parentSpanId).toBe(chatSpan.spanId);
    expect(outbound.attributes).toMatchObject({
      'http.request.method': 'POST',
      'server.address': '127.0.0.1',
      'url.full': `${fake.baseUrl}/chat/completions`,
      'http.response.status_code': 200,
    });
    // The chat's own statements (the fee, the stored reply) are in its trace as well.
    await until(
      () =>
        receiver.spans.find(
          (s) => s.traceId === sentTrace && s.kind === CLIENT && s.attributes['db.operation.name'] === 'INSERT',
        ),
      'an INSERT in the chat trace',
    );

    // Stopping exports what is still buffered (the shutdown flushes the provider).
    const last = await fetch(`${base}/healthz`);
    expect(last.status).toBe(200);
    const lastRequestId = last.headers.get('x-request-id');
    expect(await server.kill('SIGTERM')).toBe(0);
    const lastLine = accessLines(server).find((l) => l.requestId === lastRequestId);
    expect(lastLine?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(receiver.spans.some((s) => s.traceId === lastLine?.traceId)).toBe(true);
    server = undefined;
  });

  it('exports nothing and shows no trace id when the SDK is disabled', async () => {
    await server?.kill(); // the first test's, if it failed
    const exported = receiver.spans.length;
    const posts = receiver.posts();
    server = await startChildServer({
      ...databaseEnv(settings),
      ...NO_OTEL,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SDK_DISABLED: 'true',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
    const missing = await fetch(`${server.baseUrl}/api/spaces/${randomUUID()}`, {
      headers: { traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01` },
    });
    expect(missing.status).toBe(401);
    const problem = (await missing.json()) as Record<string, unknown>;
    expect(problem.requestId).toBeTruthy();
    expect(problem).not.toHaveProperty('traceId');
    expect((await fetch(`${server.baseUrl}/api/spaces`)).status).toBe(200);
    expect(await server.kill('SIGTERM')).toBe(0);
    const lines = accessLines(server);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) expect(line).not.toHaveProperty('traceId');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.posts()).toBe(posts);
    expect(receiver.spans.length).toBe(exported);
    server = undefined;
  });
});
