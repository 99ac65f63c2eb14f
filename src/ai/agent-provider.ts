// The agent provider: what answers an agent's messages, streamed as text deltas. Communities, lounges,
// customer service and rooms all talk to agents through this one interface.
export interface AgentMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface AgentRequest {
  /** The model the agent listing names (providers that host one model may ignore it). */
  model: string;
  /** The listing's (or role document's) instructions: the system prompt. */
  instructions: string;
  /** The conversation so far, oldest first; the last one is what to answer. */
  messages: AgentMessage[];
  /** Tools the agent may call while it answers (room runs); without them the agent only writes. */
  tools?: AgentToolbox;
}

/** A tool as the model sees it: a function with JSON-schema parameters. */
export interface AgentToolDefinition {
  name: string;
  description: string;
  /** A JSON Schema object describing the arguments. */
  parameters: Record<string, unknown>;
}

export interface AgentToolCall {
  /** Unique within the run: the model's own call id, or one the provider makes up. */
  id: string;
  name: string;
  /** The arguments as the model wrote them: a JSON object, possibly malformed. */
  arguments: string;
}

/**
 * The tools of one request. `call` runs one call and returns its output for the model; it never throws for
 * a tool's own failure (the output then says what went wrong), so a provider feeds every result back.
 */
export interface AgentToolbox {
  definitions: AgentToolDefinition[];
  call(call: AgentToolCall, signal?: AbortSignal): Promise<string>;
}

export interface AgentProvider {
  readonly name: string;
  /** The reply as text deltas. Aborting `signal` stops the provider's work and ends the iteration. */
  stream(request: AgentRequest, signal?: AbortSignal): AsyncIterable<string>;
}

/**
 * The default provider: no network and no model, so a fresh `npm start` has agents that answer. It is
 * deterministic: the same request always streams the same reply, word by word, built from the instructions
 * and the last message. Given tools, it calls each of them once, in the order given (a `query` argument is
 * the longest word of the last message), and its reply says what each returned.
 */
export class LocalAgentProvider implements AgentProvider {
  readonly name = 'local';

  async *stream(request: AgentRequest, signal?: AbortSignal): AsyncIterable<string> {
    const last =
      [...request.messages]
        .reverse()
        .find((m) => m.role === 'user')
        ?.content.trim() ?? '';
    const role = firstSentence(request.instructions) || 'I am a helpful agent.';
    const used: string[] = [];
    for (const [n, tool] of (request.tools?.definitions ?? []).entries()) {
      if (signal?.aborted) return;
      const args =
        'query' in ((tool.parameters.properties as object | undefined) ?? {}) ? { query: longestWord(last) } : {};
      const output = await request.tools!.call(
        { id: `local_call_${n + 1}`, name: tool.name, arguments: JSON.stringify(args) },
        signal,
      );
      used.push(`${tool.name} returned ${output.length} characters`);
    }
    const tools = used.length ? ` I used my tools: ${used.join('; ')}.` : '';
    const reply = last ? `${role}${tools} You said: "${truncate(last, 200)}".` : `${role}${tools} How can I help?`;
    const words = reply.split(/(?<=\s)/);
    for (const word of words) {
      if (signal?.aborted) return;
      yield word;
    }
  }
}

const firstSentence = (text: string) => (/^[^.!?\n]*[.!?]?/.exec(text.trim())?.[0] ?? '').trim();
const longestWord = (text: string) =>
  text.split(/[^\p{L}\p{N}_]+/u).reduce((a, b) => (b.length > a.length ? b : a), '');
const truncate = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
