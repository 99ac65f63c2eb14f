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
}

export interface AgentProvider {
  readonly name: string;
  /** The reply as text deltas. Aborting `signal` stops the provider's work and ends the iteration. */
  stream(request: AgentRequest, signal?: AbortSignal): AsyncIterable<string>;
}

/**
 * The default provider: no network and no model, so a fresh `npm start` has agents that answer. It is
 * deterministic: the same request always streams the same reply, word by word, built from the instructions
 * and the last message.
 */
export class LocalAgentProvider implements AgentProvider {
  readonly name = 'local';

  async *stream(request: AgentRequest, signal?: AbortSignal): AsyncIterable<string> {
    const last = [...request.messages].reverse().find((m) => m.role === 'user')?.content.trim() ?? '';
    const role = firstSentence(request.instructions) || 'I am a helpful agent.';
    const reply = last ? `${role} You said: "${truncate(last, 200)}".` : `${role} How can I help?`;
    const words = reply.split(/(?<=\s)/);
    for (const word of words) {
      if (signal?.aborted) return;
      yield word;
    }
  }
}

const firstSentence = (text: string) => (/^[^.!?\n]*[.!?]?/.exec(text.trim())?.[0] ?? '').trim();
const truncate = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
