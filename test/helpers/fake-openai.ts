// A local server speaking the OpenAI-compatible API the platform's providers use: chat completions streamed
// as `data: {...}` lines ending with `data: [DONE]`, and `/audio/speech`. How it answers depends on the model
// the request names, so a test picks a behaviour through the agent listing's `model`:
//   fake-ok (or anything else)  the reply, a few words per chunk, then [DONE]
//   fake-empty                  [DONE] at once, no content
//   fake-blank                  only whitespace, then [DONE]
//   fake-midstream-failure      two chunks, then the connection is cut
//   fake-slow                   a first chunk only after `slowMs`
//   fake-paced                  every chunk `paceMs` after the one before (a reply that takes a while)
//   fake-silent                 headers, then nothing (never a chunk)
//   fake-long                   25,000 characters (`L` then `x`s) in chunks of 1,000, then [DONE]
//   fake-429 / fake-500         that status before the first byte
//   fake-tools                  given tools and no tool results yet: asks for read_rules and search_messages
//                               (streamed as tool_call fragments); given the results: answers quoting them
//   fake-tools-loop             asks for a tool on every request until `tool_choice` is "none"
//   fake-tools-flood            given tools and no tool results yet: asks for read_rules FLOOD_CALLS times in one
//                               answer; given the results: answers like fake-tools
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeOpenAi {
  baseUrl: string;
  /** Every chat-completions request body received, newest last. */
  requests: Array<{
    model: string;
    stream: boolean;
    tool_choice?: string;
    messages: Array<{ role: string; content: string | null; tool_call_id?: string; tool_calls?: unknown[] }>;
    tools?: Array<{ type: string; function: { name: string; description: string; parameters: unknown } }>;
  }>;
  speechRequests: Array<{ input: string; voice: string; model: string }>;
  /** The headers of every request (chat and speech), newest last. */
  headers: IncomingHttpHeaders[];
  /** Chat requests whose connection is still open (a request the platform abandoned closes). */
  open(): number;
  close(): Promise<void>;
}

export const FAKE_REPLY = 'Hello from the fake model. Here is a short answer.';
/** How many tool calls fake-tools-flood asks for in its one answer. */
export const FLOOD_CALLS = 300;
/** A real WAV clip of `ms` milliseconds of silence (8 kHz, 8-bit mono), so its duration can be read. */
export function wav(ms: number): Buffer {
  const samples = Math.round(8 * ms);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + samples, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(8000, 24);
  header.writeUInt32LE(8000, 28);
  header.writeUInt16LE(1, 32);
  header.writeUInt16LE(8, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(samples, 40);
  return Buffer.concat([header, Buffer.alloc(samples, 0x80)]);
}

/** Every speech answer: 90 seconds of audio (a minute and a half of voice time). */
export const FAKE_AUDIO = wav(90_000);

const readJson = async (req: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
};

const chunkLine = (content: string, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content }, finish_reason: finish }] })}\n\n`;

const toolCallLine = (calls: Array<{ index: number; id?: string; name?: string; arguments: string }>) =>
  `data: ${JSON.stringify({ choices: [{ index: 0, delta: { tool_calls: calls.map((c) => ({ index: c.index, ...(c.id ? { id: c.id, type: 'function' } : {}), function: { ...(c.name ? { name: c.name } : {}), arguments: c.arguments } })) }, finish_reason: null }] })}\n\n`;

/** The tool-calling models: tool calls streamed in fragments (as OpenAI does), or the answer once results came back. */
async function answerWithTools(res: ServerResponse, body: FakeOpenAi['requests'][number]): Promise<void> {
  const results = body.messages.filter((m) => m.role === 'tool');
  const wantsTools = body.model === 'fake-tools-loop' ? body.tool_choice !== 'none' : results.length === 0;
  if (body.tools?.length && wantsTools && body.model === 'fake-tools-flood') {
    const calls = Array.from({ length: FLOOD_CALLS }, (_, n) => ({
      index: n,
      id: `call_flood_${n}`,
      name: 'read_rules',
      arguments: '{}',
    }));
    for (let n = 0; n < calls.length; n += 50) res.write(toolCallLine(calls.slice(n, n + 50)));
    res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] })}\n\n`);
    res.end('data: [DONE]\n\n');
    return;
  }
  if (body.tools?.length && wantsTools) {
    const round = body.messages.filter((m) => m.role === 'assistant' && m.tool_calls).length;
    res.write(toolCallLine([{ index: 0, id: `call_r${round}_a`, name: 'read_rules', arguments: '' }]));
    res.write(toolCallLine([{ index: 0, arguments: '{}' }]));
    if (body.model === 'fake-tools') {
      res.write(toolCallLine([{ index: 1, id: `call_r${round}_b`, name: 'search_messages', arguments: '{"que' }]));
      res.write(toolCallLine([{ index: 1, arguments: 'ry":"launch"}' }]));
    }
    res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] })}\n\n`);
    res.end('data: [DONE]\n\n');
    return;
  }
  const summary = results.map((m) => `[${m.tool_call_id}] ${(m.content ?? '').split('\n')[0]}`).join(' ');
  res.write(chunkLine(`I checked ${results.length} tool results. `));
  res.write(chunkLine(summary || 'No tools.', 'stop'));
  res.end('data: [DONE]\n\n');
}

export async function startFakeOpenAi(options: { slowMs?: number; paceMs?: number } = {}): Promise<FakeOpenAi> {
  const requests: FakeOpenAi['requests'] = [];
  const speechRequests: FakeOpenAi['speechRequests'] = [];
  const headers: FakeOpenAi['headers'] = [];
  let open = 0;
  const server: Server = createServer(async (req, res) => {
    headers.push(req.headers);
    if (req.url?.endsWith('/audio/speech')) {
      speechRequests.push(await readJson(req));
      res.writeHead(200, { 'Content-Type': 'audio/wav' }).end(FAKE_AUDIO);
      return;
    }
    const body = await readJson(req);
    requests.push(body);
    const model: string = body.model;
    if (model === 'fake-429' || model === 'fake-500') {
      res
        .writeHead(model === 'fake-429' ? 429 : 500, { 'Content-Type': 'application/json' })
        .end(JSON.stringify({ error: { message: 'nope' } }));
      return;
    }
    open += 1;
    res.on('close', () => {
      open -= 1;
    });
    res.writeHead(200, { 'Content-Type': 'text/event-stream' });
    res.write(
      `data: ${JSON.stringify({ choices: [{ index: 0, delta: { role: 'assistant' }, finish_reason: null }] })}\n\n`,
    );
    if (model === 'fake-tools' || model === 'fake-tools-loop' || model === 'fake-tools-flood') {
      await answerWithTools(res, body);
      return;
    }
    if (model === 'fake-silent') return; // never answers; the platform's timeout must end it
    if (model === 'fake-empty') {
      res.end('data: [DONE]\n\n');
      return;
    }
    if (model === 'fake-blank') {
      res.write(chunkLine('  '));
      res.write(chunkLine('\n '));
      res.end('data: [DONE]\n\n');
      return;
    }
    if (model === 'fake-long') {
      for (let i = 0; i < 25 && !res.destroyed; i++) res.write(chunkLine(`${i === 0 ? 'L' : 'x'}${'x'.repeat(999)}`));
      if (!res.destroyed) res.end('data: [DONE]\n\n');
      return;
    }
    if (model === 'fake-slow') await new Promise((resolve) => setTimeout(resolve, options.slowMs ?? 2000));
    const words = FAKE_REPLY.split(/(?<= )/);
    for (const [i, word] of words.entries()) {
      if (res.destroyed) return;
      res.write(chunkLine(word));
      if (model === 'fake-midstream-failure' && i === 1) {
        res.socket?.destroy();
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, model === 'fake-paced' ? (options.paceMs ?? 100) : 2));
    }
    res.write(chunkLine('', 'stop'));
    res.write(`data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 10, completion_tokens: 10 } })}\n\n`);
    res.end('data: [DONE]\n\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    requests,
    speechRequests,
    headers,
    open: () => open,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
