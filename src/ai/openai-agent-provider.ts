// An agent provider that speaks the OpenAI chat-completions streaming protocol, so it works with OpenAI,
// Ollama, vLLM and llama.cpp's server alike: POST {baseUrl}/chat/completions with `stream: true`, then
// `data: {"choices":[{"delta":{"content":"..."}}]}` lines until `data: [DONE]`.
//
// Tools are passed as function tools (`tools`). When the model answers with `tool_calls` (streamed as
// fragments, finish_reason `tool_calls`), each call is run through the request's toolbox and the results are
// sent back as `tool` messages in a follow-up request, until the model writes its answer. After
// MAX_TOOL_ROUNDS rounds of calls the model is asked to answer without tools (`tool_choice: "none"`).
import { errorName, startClientSpan } from '../platform/tracing.js';
import type { AgentProvider, AgentRequest, AgentToolCall } from './agent-provider.js';
import { ProviderError } from './provider-error.js';
import { serverSentData } from './server-sent-data.js';

export const MAX_TOOL_ROUNDS = 4;

export interface OpenAiCompatibleOptions {
  /** e.g. `https://api.openai.com/v1` or `http://127.0.0.1:11434/v1` */
  baseUrl: string;
  apiKey?: string;
}

/** A message of the chat-completions protocol, including the tool calls and results of earlier rounds. */
type WireMessage =
  | { role: 'system' | 'user' | 'assistant'; content: string }
  | {
      role: 'assistant';
      content: string | null;
      tool_calls: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }>;
    }
  | { role: 'tool'; tool_call_id: string; content: string };

interface Chunk {
  choices?: Array<{
    delta?: {
      content?: string | null;
      tool_calls?: Array<{ index?: number; id?: string; function?: { name?: string; arguments?: string } }>;
    };
  }>;
  error?: { message?: string };
}

export class OpenAiCompatibleAgentProvider implements AgentProvider {
  readonly name = 'openai-compatible';

  constructor(private readonly options: OpenAiCompatibleOptions) {}

  async *stream(request: AgentRequest, signal?: AbortSignal): AsyncIterable<string> {
    const messages: WireMessage[] = [{ role: 'system', content: request.instructions }, ...request.messages];
    for (let round = 0; ; round++) {
      const calls: AgentToolCall[] = [];
      let text = '';
      for await (const part of this.round(request, messages, round >= MAX_TOOL_ROUNDS, signal)) {
        if (typeof part === 'string') {
          text += part;
          yield part;
        } else calls.push(part);
      }
      // Done: an answer, or a model that asks for tools even when told to answer (its calls are not run).
      if (!calls.length || !request.tools || signal?.aborted || round >= MAX_TOOL_ROUNDS) return;
      messages.push({
        role: 'assistant',
        content: text || null,
        tool_calls: calls.map((c) => ({
          id: c.id,
          type: 'function',
          function: { name: c.name, arguments: c.arguments },
        })),
      });
      for (const call of calls)
        messages.push({ role: 'tool', tool_call_id: call.id, content: await request.tools.call(call, signal) });
    }
  }

  /** One request: its text deltas as they come, then the tool calls it asked for (assembled from fragments). */
  private async *round(
    request: AgentRequest,
    messages: WireMessage[],
    lastRound: boolean,
    signal?: AbortSignal,
  ): AsyncIterable<string | AgentToolCall> {
    const tools = request.tools?.definitions.map((t) => ({
      type: 'function',
      function: { name: t.name, description: t.description, parameters: t.parameters },
    }));
    const url = `${this.options.baseUrl.replace(/\/$/, '')}/chat/completions`;
    // The operator's provider: it is sent the trace context (traceparent) when traces are on. The span lasts
    // until the stream has been read, failed or been abandoned.
    const span = startClientSpan('POST', url, { propagate: true });
    let status: number | undefined;
    try {
      yield* this.exchange(url, span.headers, tools, request, messages, lastRound, signal, (s) => {
        status = s;
      });
      span.end({ status });
    } catch (error) {
      span.end({ status, errorType: errorName(error) });
      throw error;
    } finally {
      span.end({ status }); // abandoned by its reader, or stopped (signal)
    }
  }

  private async *exchange(
    url: string,
    traceHeaders: Record<string, string>,
    tools: unknown[] | undefined,
    request: AgentRequest,
    messages: WireMessage[],
    lastRound: boolean,
    signal: AbortSignal | undefined,
    answered: (status: number) => void,
  ): AsyncIterable<string | AgentToolCall> {
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'text/event-stream',
          ...(this.options.apiKey ? { Authorization: `Bearer ${this.options.apiKey}` } : {}),
          ...traceHeaders,
        },
        body: JSON.stringify({
          model: request.model,
          stream: true,
          messages,
          ...(tools?.length ? { tools, tool_choice: lastRound ? 'none' : 'auto' } : {}),
        }),
        signal,
      });
    } catch (error) {
      if (signal?.aborted) return;
      throw new ProviderError(`the model provider could not be reached: ${(error as Error).message}`);
    }
    answered(response.status);
    if (!response.ok || !response.body) {
      const text = await response.text().catch(() => '');
      throw new ProviderError(`the model provider answered ${response.status}`, response.status, text.slice(0, 500));
    }
    const calls: Array<{ id?: string; name: string; arguments: string }> = [];
    try {
      for await (const data of serverSentData(response.body)) {
        if (data === '[DONE]') {
          yield* calls.map((c, n) => ({ id: c.id ?? `call_${n + 1}`, name: c.name, arguments: c.arguments || '{}' }));
          return;
        }
        let chunk: Chunk;
        try {
          chunk = JSON.parse(data);
        } catch {
          throw new ProviderError('the model provider sent a line that is not JSON');
        }
        if (chunk.error)
          throw new ProviderError(`the model provider failed: ${chunk.error.message ?? 'unknown error'}`);
        const delta = chunk.choices?.[0]?.delta;
        if (delta?.content) yield delta.content;
        for (const fragment of delta?.tool_calls ?? []) {
          const call = (calls[fragment.index ?? Math.max(0, calls.length - 1)] ??= { name: '', arguments: '' });
          if (fragment.id) call.id = fragment.id;
          if (fragment.function?.name) call.name += fragment.function.name;
          if (fragment.function?.arguments) call.arguments += fragment.function.arguments;
        }
      }
    } catch (error) {
      if (signal?.aborted) return;
      if (error instanceof ProviderError) throw error;
      throw new ProviderError(`the model provider's stream broke: ${(error as Error).message}`);
    }
    if (!signal?.aborted) throw new ProviderError('the model provider ended the stream without [DONE]');
  }
}
