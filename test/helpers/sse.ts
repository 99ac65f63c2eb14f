// Reads a Server-Sent Events response as the wire shows it: each event's `event:`, `id:` and parsed `data:`.
export interface WireEvent {
  event?: string;
  id?: string;
  data: any;
}

/** One SSE message (the lines between blank lines); undefined for a comment. */
function parseBlock(block: string): WireEvent | undefined {
  const event: Partial<WireEvent> = {};
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event: ')) event.event = line.slice(7);
    else if (line.startsWith('id: ')) event.id = line.slice(4);
    else if (line.startsWith('data: ')) data.push(line.slice(6));
  }
  return data.length ? { ...event, data: JSON.parse(data.join('\n')) } : undefined;
}

/** A whole `text/event-stream` body (e.g. a contract example): its messages, comments left out. */
export function parseEventStream(text: string): WireEvent[] {
  return text
    .split('\n\n')
    .slice(0, -1)
    .map(parseBlock)
    .filter((event): event is WireEvent => event !== undefined);
}

export async function readEvents(response: Response, options: { stopAfter?: number } = {}): Promise<WireEvent[]> {
  const events: WireEvent[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  const reader = response.body!.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = parseBlock(block);
      if (event) events.push(event);
      if (options.stopAfter !== undefined && events.length >= options.stopAfter) {
        await reader.cancel();
        return events;
      }
    }
  }
  return events;
}

/**
 * Follows a stream that stays open: collects events (and counts `:` comments, the keep-alives) as they come,
 * so a test can wait for some, keep going, and see how the stream ended: `end` (the server ended it) or
 * `cut` (the connection broke without the end).
 */
export class StreamReader {
  readonly events: WireEvent[] = [];
  comments = 0;
  readonly ended: Promise<'end' | 'cut'>;
  private endedAs: 'end' | 'cut' | undefined;
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private changed: () => void = () => undefined;

  constructor(response: Response) {
    this.reader = response.body!.getReader();
    this.ended = this.pump()
      .then(
        () => 'end' as const,
        () => 'cut' as const,
      )
      .then((how) => {
        this.endedAs = how;
        this.changed();
        return how;
      });
  }

  /** Resolves once `count` events have arrived (rejects if the stream ends first, or after `timeoutMs`). */
  async waitFor(count: number, timeoutMs = 10_000): Promise<WireEvent[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.events.length < count) {
      if (this.endedAs)
        throw new Error(`the stream ended (${this.endedAs}) after ${this.events.length} of ${count} events`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.events.length} of ${count} events after ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.changed = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.events.slice(0, count);
  }

  /** The seqs (`id:`) received so far. */
  get ids(): number[] {
    return this.events.map((e) => Number(e.id));
  }

  async cancel(): Promise<void> {
    await this.reader.cancel().catch(() => undefined);
  }

  private async pump(): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await this.reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (block.startsWith(':')) this.comments += 1;
        const event = parseBlock(block);
        if (event) this.events.push(event);
        this.changed();
      }
    }
  }
}
