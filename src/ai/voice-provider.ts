// Voice cloning for lounges: from a URL of voice samples to a voice id the speech provider speaks with.
// The local default checks the samples are audio (by their bytes, not only their Content-Type) and derives a
// stable voice id from them; an HTTP provider can take its place behind the same interface.
import { createHash } from 'node:crypto';

export type CloneResult = { status: 'ready'; voiceModelId: string } | { status: 'failed'; reason: string };

export interface VoiceProvider {
  clone(samplesUrl: string, signal?: AbortSignal): Promise<CloneResult>;
}

const MAX_SAMPLES_BYTES = 50 * 1024 * 1024;

/** Audio by its first bytes: WAV, MP3 (ID3 or a frame sync), Ogg, FLAC, MP4/M4A, WebM; a ZIP of samples too. */
function looksLikeAudio(bytes: Buffer): boolean {
  const ascii = (from: number, to: number) => bytes.toString('latin1', from, to);
  return (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WAVE') || ascii(0, 3) === 'ID3' || (bytes[0] === 0xff && ((bytes[1] ?? 0) & 0xe0) === 0xe0)
    || ascii(0, 4) === 'OggS' || ascii(0, 4) === 'fLaC' || ascii(4, 8) === 'ftyp' || bytes.readUInt32BE(0) === 0x1a45dfa3 || ascii(0, 4) === 'PK\u0003\u0004';
}

export class LocalVoiceProvider implements VoiceProvider {
  async clone(samplesUrl: string, signal?: AbortSignal): Promise<CloneResult> {
    let response: Response;
    try {
      response = await fetch(samplesUrl, { signal, redirect: 'follow' });
    } catch (error) {
      return { status: 'failed', reason: `The samples URL could not be fetched: ${(error as Error).message}`.slice(0, 500) };
    }
    if (!response.ok) return { status: 'failed', reason: `The samples URL answered ${response.status}.` };
    const bytes = Buffer.from(await response.arrayBuffer());
    if (bytes.length === 0) return { status: 'failed', reason: 'The samples URL sent nothing.' };
    if (bytes.length > MAX_SAMPLES_BYTES) return { status: 'failed', reason: 'The samples are larger than 50 MB.' };
    if (!looksLikeAudio(bytes)) return { status: 'failed', reason: 'The samples URL did not send audio.' };
    return { status: 'ready', voiceModelId: `local_${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}` };
  }
}
