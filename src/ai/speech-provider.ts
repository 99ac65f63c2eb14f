// Text to speech for agents' replies. One implementation: the OpenAI-compatible `/audio/speech` endpoint.
// Without a configured speech provider, replies have no audio (no `audio_ready` event).
import { ProviderError } from './provider-error.js';

export interface SpeechResult {
  contentType: string;
  audio: Buffer;
}

export interface SpeechProvider {
  synthesize(text: string, signal?: AbortSignal): Promise<SpeechResult>;
}

export interface OpenAiSpeechOptions {
  baseUrl: string;
  apiKey?: string;
  model: string;
  voice: string;
}

export class OpenAiCompatibleSpeechProvider implements SpeechProvider {
  constructor(private readonly options: OpenAiSpeechOptions) {}

  async synthesize(text: string, signal?: AbortSignal): Promise<SpeechResult> {
    const response = await fetch(`${this.options.baseUrl.replace(/\/$/, '')}/audio/speech`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(this.options.apiKey ? { Authorization: `Bearer ${this.options.apiKey}` } : {}) },
      body: JSON.stringify({ model: this.options.model, voice: this.options.voice, input: text, response_format: 'mp3' }),
      signal,
    }).catch((error: Error) => { throw new ProviderError(`the speech provider could not be reached: ${error.message}`); });
    if (!response.ok) throw new ProviderError(`the speech provider answered ${response.status}`, response.status);
    const audio = Buffer.from(await response.arrayBuffer());
    if (audio.length === 0) throw new ProviderError('the speech provider sent no audio');
    return { contentType: response.headers.get('content-type')?.split(';')[0] || 'audio/mpeg', audio };
  }
}
