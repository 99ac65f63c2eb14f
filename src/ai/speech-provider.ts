// Text to speech for agents' replies. One implementation: the OpenAI-compatible `/audio/speech` endpoint.
// Without a configured speech provider, replies have no audio (no `audio_ready` event).
import { errorName, startClientSpan } from '../platform/tracing.js';
import { audioDurationMs } from './audio-duration.js';
import { ProviderError } from './provider-error.js';

/** About 150 spoken words a minute: only for audio whose format we cannot read. */
const estimatedSpeechMs = (text: string) => Math.round((text.split(/\s+/).filter(Boolean).length / 150) * 60_000);

export interface SpeechResult {
  contentType: string;
  audio: Buffer;
  /** How long it plays: read from the audio itself (MP3, WAV); estimated from the text for other formats. */
  durationMs: number;
}

export interface SpeechProvider {
  /** `voice`: a cloned voice's id; the configured default voice without one. */
  synthesize(text: string, options?: { voice?: string; signal?: AbortSignal }): Promise<SpeechResult>;
}

export interface OpenAiSpeechOptions {
  baseUrl: string;
  apiKey?: string;
  model: string;
  voice: string;
}

export class OpenAiCompatibleSpeechProvider implements SpeechProvider {
  constructor(private readonly options: OpenAiSpeechOptions) {}

  async synthesize(text: string, options: { voice?: string; signal?: AbortSignal } = {}): Promise<SpeechResult> {
    const url = `${this.options.baseUrl.replace(/\/$/, '')}/audio/speech`;
    // The operator's provider: it is sent the trace context (traceparent) when traces are on.
    const span = startClientSpan('POST', url, { propagate: true });
    let status: number | undefined;
    try {
      const result = await this.request(url, text, options, span.headers, (s) => {
        status = s;
      });
      span.end({ status });
      return result;
    } catch (error) {
      span.end({ status, errorType: errorName(error) });
      throw error;
    }
  }

  private async request(
    url: string,
    text: string,
    options: { voice?: string; signal?: AbortSignal },
    traceHeaders: Record<string, string>,
    answered: (status: number) => void,
  ): Promise<SpeechResult> {
    const { signal } = options;
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        ...(this.options.apiKey ? { Authorization: `Bearer ${this.options.apiKey}` } : {}),
        ...traceHeaders,
      },
      body: JSON.stringify({
        model: this.options.model,
        voice: options.voice ?? this.options.voice,
        input: text,
        response_format: 'mp3',
      }),
      signal,
    }).catch((error: Error) => {
      throw new ProviderError(`the speech provider could not be reached: ${error.message}`);
    });
    answered(response.status);
    if (!response.ok) throw new ProviderError(`the speech provider answered ${response.status}`, response.status);
    const audio = Buffer.from(await response.arrayBuffer());
    if (audio.length === 0) throw new ProviderError('the speech provider sent no audio');
    return {
      contentType: response.headers.get('content-type')?.split(';')[0] || 'audio/mpeg',
      audio,
      durationMs: audioDurationMs(audio) ?? estimatedSpeechMs(text),
    };
  }
}
