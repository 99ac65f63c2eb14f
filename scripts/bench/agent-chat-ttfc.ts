// The agent chat's time to first chunk: from sending `POST /api/communities/{id}/agent-chat` (local provider,
// call fee 0) to reading the first `chunk` event, one request at a time, against the same time for
// `new LocalAgentProvider().stream(...)` called in this process. What the platform adds before the first
// chunk: authentication, its transaction (membership, the agent, the call row, the caller's message), the
// history query, and the stream's first bytes over HTTP.
import { LocalAgentProvider } from '../../src/ai/agent-provider.js';

export interface FirstChunk {
  requests: number;
  platform: { p50: number; p90: number };
  /** To the `meta` event, the stream's first: the transaction before the first byte is done. */
  meta: { p50: number; p90: number };
  direct: { p50: number; p90: number };
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};

/** Milliseconds to the meta and first chunk events; reads the rest of the stream (the reply is stored) before returning. */
async function platformOnce(url: string, token: string, body: string): Promise<{ meta: number; chunk: number }> {
  const started = performance.now();
  const response = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'text/event-stream' }, body });
  if (response.status !== 200) throw new Error(`agent-chat answered ${response.status}: ${await response.text()}`);
  const decoder = new TextDecoder();
  let text = '';
  let firstChunk: number | undefined;
  let meta: number | undefined;
  for await (const bytes of response.body as unknown as AsyncIterable<Uint8Array>) {
    text += decoder.decode(bytes, { stream: true });
    if (meta === undefined && text.includes('"type":"meta"')) meta = performance.now() - started;
    if (firstChunk === undefined && text.includes('"type":"chunk"')) firstChunk = performance.now() - started;
  }
  if (firstChunk === undefined || meta === undefined) throw new Error(`agent-chat sent no meta or chunk: ${text.slice(0, 500)}`);
  return { meta, chunk: firstChunk };
}

async function directOnce(provider: LocalAgentProvider, content: string): Promise<number> {
  const started = performance.now();
  const stream = provider.stream({ model: 'local', instructions: 'You are the bench agent.', messages: [{ role: 'user', content }] })[Symbol.asyncIterator]();
  await stream.next();
  const ms = performance.now() - started;
  while (!(await stream.next()).done) { /* the rest of the reply */ }
  return ms;
}

export async function measureFirstChunk(port: number, communityId: string, listingId: string, token: string, requests = 200): Promise<FirstChunk> {
  const url = `http://127.0.0.1:${port}/api/communities/${communityId}/agent-chat`;
  const provider = new LocalAgentProvider();
  const platform: number[] = [];
  const meta: number[] = [];
  const direct: number[] = [];
  for (let n = -20; n < requests; n++) { // 20 warm-up requests each, not counted
    const content = `Bench question ${n}`;
    const p = await platformOnce(url, token, JSON.stringify({ listingId, content }));
    const d = await directOnce(provider, content);
    if (n >= 0) { platform.push(p.chunk); meta.push(p.meta); direct.push(d); }
  }
  return {
    requests,
    platform: { p50: percentile(platform, 50), p90: percentile(platform, 90) },
    meta: { p50: percentile(meta, 50), p90: percentile(meta, 90) },
    direct: { p50: percentile(direct, 50), p90: percentile(direct, 90) },
  };
}
