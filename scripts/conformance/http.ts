// Real HTTP with fetch, and the curl command that repeats a request. Paths and query strings are sent
// pre-encoded, byte for byte as the suite built them (so `%00` or a lone `%ED%A0%80` reach the server).

export interface WireRequest {
  method: string;
  /** Path and query string, already percent-encoded. */
  target: string;
  headers: Record<string, string>;
  body?: string;
  /** A shell expression producing the body, when it is too large to inline in a curl command. */
  curlData?: string;
}

export interface Exchange {
  request: WireRequest;
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body, when it is JSON. */
  json?: unknown;
  /** For an event stream: the events read in the first moments of the stream. */
  events?: Array<{ event?: string; data: string }>;
  ms: number;
}

const STREAM_WINDOW_MS = 1500;

export class HttpClient {
  /** Requests sent since the counter was last reset (the runner reads it per operation). */
  count = 0;
  total = 0;

  constructor(readonly baseUrl: string) {}

  async send(request: WireRequest): Promise<Exchange> {
    this.count++;
    this.total++;
    const started = performance.now();
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 20_000);
    try {
      const response = await fetch(this.baseUrl + request.target, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        redirect: 'manual',
        signal: controller.signal,
      });
      const type = response.headers.get('content-type') ?? '';
      let text: string;
      let events: Exchange['events'];
      if (type.startsWith('text/event-stream')) {
        // Streams stay open (keep-alives); read what arrives in a short window, then hang up.
        text = await readFor(response, STREAM_WINDOW_MS);
        controller.abort();
        events = parseEvents(text);
      } else {
        text = await response.text();
      }
      let json: unknown;
      if (text && /json/i.test(type)) {
        try {
          json = JSON.parse(text);
        } catch {
          /* reported by the content checks */
        }
      }
      return {
        request,
        status: response.status,
        headers: response.headers,
        text,
        json,
        events,
        ms: performance.now() - started,
      };
    } finally {
      clearTimeout(timer);
    }
  }
}

async function readFor(response: Response, ms: number): Promise<string> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const deadline = Date.now() + ms;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    const next = await Promise.race([reader.read(), new Promise<null>((resolve) => setTimeout(resolve, left, null))]);
    if (!next || next.done) break;
    text += decoder.decode(next.value, { stream: true });
  }
  void reader.cancel().catch(() => undefined);
  return text;
}

function parseEvents(text: string): Array<{ event?: string; data: string }> {
  const events: Array<{ event?: string; data: string }> = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    let event: string | undefined;
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (data.length) events.push({ event, data: data.join('\n') });
  }
  return events;
}

/** Shell-quotes a string; non-printable bytes use $'...' escapes so the command sends exactly them. */
function quotePiece(text: string): string {
  if (/^[\x20-\x7e]*$/.test(text)) return `'${text.replace(/'/g, `'\\''`)}'`;
  let out = "$'";
  for (const byte of Buffer.from(text, 'utf8')) {
    if (byte === 0x27) out += "\\'";
    else if (byte === 0x5c) out += '\\\\';
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return `${out}'`;
}

/** One shell word for `text`; long runs of one letter are generated rather than spelt out. */
function shellQuote(text: string): string {
  const words: string[] = [];
  let last = 0;
  for (const run of text.matchAll(/([A-Za-z0-9])\1{63,}/g)) {
    if (run.index > last) words.push(quotePiece(text.slice(last, run.index)));
    words.push(`"$(head -c ${run[0].length} /dev/zero | tr '\\0' ${run[1]})"`);
    last = run.index + run[0].length;
  }
  if (last < text.length || words.length === 0) words.push(quotePiece(text.slice(last)));
  return words.join('');
}

/**
 * A curl command repeating the request against `$BASE_URL` (default: a local `npm start`), with every
 * secret replaced by `$TOKEN` so the command can be pasted into a ticket.
 */
export function toCurl(request: WireRequest, secrets: string[]): string {
  const hide = (text: string) => secrets.reduce((acc, s) => (s ? acc.split(s).join('$TOKEN') : acc), text);
  const parts = [
    'curl -sS -i',
    '-X',
    request.method,
    `"\${BASE_URL:-http://127.0.0.1:3000}"${shellQuote(request.target)}`,
  ];
  for (const [name, value] of Object.entries(request.headers)) {
    const line = `${name}: ${value}`;
    const hidden = hide(line);
    // Double quotes where $TOKEN must expand; the rest is quoted exactly.
    parts.push('-H', hidden === line ? shellQuote(line) : `"${hidden.replace(/(["\\`])/g, '\\$1')}"`);
  }
  if (request.curlData) parts.push('--data-binary', request.curlData);
  else if (request.body !== undefined) {
    parts.push('--data-binary', shellQuote(hide(request.body)));
  }
  return parts.join(' ');
}
