// Voice cloning for lounges: from a URL of voice samples to a voice id the speech provider speaks with.
// The samples URL is a user's, so it is fetched only through the guarded fetch (src/platform/outbound-fetch.ts).
// The local default checks the samples are audio (by their bytes, not only their Content-Type) and derives a
// stable voice id from them, hashing them as they stream in; an HTTP provider can take its place behind the
// same interface.
import { createHash } from 'node:crypto';
import { MAX_REDIRECTS, OutboundError, type OutboundFailure, type OutboundFetch } from '../platform/outbound-fetch.js';

export type CloneResult = { status: 'ready'; voiceModelId: string } | { status: 'failed'; reason: string };

export interface VoiceProvider {
  clone(samplesUrl: string, signal?: AbortSignal): Promise<CloneResult>;
}

const MAX_SAMPLES_BYTES = 50 * 1024 * 1024;

/**
 * What the lounge's creator is told (`voiceModelError`, which anyone can read): what they can fix, never what
 * the network answered. No status code, no address, no difference between a closed port and a refused one:
 * anything else would make lounges a scanner of the networks the server sees. The full story is in
 * OutboundError's message, for logs.
 */
export function samplesUrlProblem(failure: OutboundFailure, timeoutMs: number): string {
  switch (failure) {
    case 'not-https':
      return 'The samples URL must be https, and so must every redirect it answers with.';
    case 'not-public':
      return "The samples URL does not lead to a public internet address: its host (or a redirect's) is unknown, private or reserved.";
    case 'denied':
      return "The samples URL's host (or a redirect's) is not allowed on this platform.";
    case 'unreachable':
      return 'The samples URL could not be reached over a secure connection: check its host and its certificate.';
    case 'timeout':
      return `The samples URL took too long: the download must finish within ${Math.round(timeoutMs / 1000)} s.`;
    case 'too-many-redirects':
      return `The samples URL redirected more than ${MAX_REDIRECTS} times.`;
    // The status is not shown: it is the other side's answer, and the creator can open the URL to see it.
    case 'status':
      return 'The samples URL did not answer with a file: check that it downloads without signing in.';
    case 'too-large':
      return 'The samples are larger than 50 MB.';
  }
}

/** Audio by its first bytes: WAV, MP3 (ID3 or a frame sync), Ogg, FLAC, MP4/M4A, WebM; a ZIP of samples too. */
function looksLikeAudio(bytes: Buffer): boolean {
  if (bytes.length < 4) return false;
  const ascii = (from: number, to: number) => bytes.toString('latin1', from, to);
  return (
    (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WAVE') ||
    ascii(0, 3) === 'ID3' ||
    (bytes[0] === 0xff && ((bytes[1] ?? 0) & 0xe0) === 0xe0) ||
    ascii(0, 4) === 'OggS' ||
    ascii(0, 4) === 'fLaC' ||
    ascii(4, 8) === 'ftyp' ||
    bytes.readUInt32BE(0) === 0x1a45dfa3 ||
    ascii(0, 4) === 'PK\u0003\u0004'
  );
}

export class LocalVoiceProvider implements VoiceProvider {
  constructor(private readonly outbound: OutboundFetch) {}

  async clone(samplesUrl: string, signal?: AbortSignal): Promise<CloneResult> {
    const hash = createHash('sha256');
    let head = Buffer.alloc(0);
    try {
      const { bytes } = await this.outbound.download(samplesUrl, {
        maxBytes: MAX_SAMPLES_BYTES,
        signal,
        onChunk: (chunk) => {
          if (head.length < 16) head = Buffer.concat([head, chunk.subarray(0, 16 - head.length)]);
          hash.update(chunk);
        },
      });
      if (bytes === 0) return { status: 'failed', reason: 'The samples URL sent nothing.' };
    } catch (error) {
      if (error instanceof OutboundError)
        return { status: 'failed', reason: samplesUrlProblem(error.failure, this.outbound.timeoutMs) };
      throw error; // stopped (the server is stopping): the job is not done, and is taken up again
    }
    if (!looksLikeAudio(head)) return { status: 'failed', reason: 'The samples URL did not send audio.' };
    return { status: 'ready', voiceModelId: `local_${hash.digest('hex').slice(0, 16)}` };
  }
}
