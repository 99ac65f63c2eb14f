// An agent provider that speaks the OpenAI chat-completions streaming protocol, so it works with OpenAI,
// Ollama, vLLM and llama.cpp's server alike: POST {baseUrl}/chat/completions with `stream: true`, then
// `data: {"choices":[{"delta":{"content":"..."}}]}` lines until `data: [DONE]`.
import type { AgentProvider, AgentRequest } from './agent-provider.js';
import { ProviderError } from './provider-error.js';
import { serverSentData } from './server-sent-data.js';

export interface OpenAiCompatibleOptions {
  /** e.g. `https://api.openai.com/v1` or `http://127.0.0.1:11434/v1` */
  baseUrl: string;
  apiKey?: string;
}

export class OpenAiCompatibleAgentProvider implements AgentProvider {
  readonly name = 'openai-compatible';

  constructor(private readonly options: OpenAiCompatibleOptions) {}

  async *stream(request: AgentRequest, signal?: AbortSignal): AsyncIterable<string> {
    let response: Response;
    try {
      response = await fetch(`${this.options.baseUrl.replace(/\/$/, '')}/chat/completions`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream', ...(this.options.apiKey ? { Authorization: `Bearer ${this.options.apiKey}` } : {}) },
        body: JSON.stringify({
          model: request.model,
          stream: true,
          messages: [{ role: 'system', content: request.instructions }, ...request.messages],
        }),
        signal,
      });
    } catch (error) {
      if (signal?.aborted) return;
      throw new ProviderError(`the model provider could not be reached: ${(error as Error).message}`);
    }
    if (!response.ok || !response.body) {
      const text = await response.text().catch(() => '');
      throw new ProviderError(`the model provider answered ${response.status}`, response.status, text.slice(0, 500));
    }
    try {
      for await (const data of serverSentData(response.body)) {
        if (data === '[DONE]') return;
        let chunk: { choices?: Array<{ delta?: { content?: string | null } }>; error?: { message?: string } };
        try {
          chunk = JSON.parse(data);
        } catch {
          throw new ProviderError('the model provider sent a line that is not JSON');
        }
        if (chunk.error) throw new ProviderError(`the model provider failed: ${chunk.error.message ?? 'unknown error'}`);
        const content = chunk.choices?.[0]?.delta?.content;
        if (content) yield content;
      }
    } catch (error) {
      if (signal?.aborted) return;
      if (error instanceof ProviderError) throw error;
      throw new ProviderError(`the model provider's stream broke: ${(error as Error).message}`);
    }
    if (!signal?.aborted) throw new ProviderError('the model provider ended the stream without [DONE]');
  }
}
