// An agent's reply as a stream of events, shared by every chat (communities, customer service, lounges):
//   `chunk`... then `done` (after the caller stored the reply) and an optional `audio_ready`, or `error`.
// The reply runs as a task of its own that writes into an EventQueue the SSE response reads, so a client
// that disconnects stops reading while the task finishes (within its timeouts) and the reply is still stored.
import type { StreamEvent } from '../../generated/server/index.js';
import type * as T from '../../generated/server/schemas.gen.js';
import type { AgentProvider, AgentRequest } from './agent-provider.js';

export const MAX_REPLY_CHARS = 20_000;

export type ReplyEvent = T.AgentChatChunkEvent | T.AgentChatDoneEvent | T.AgentChatErrorEvent | T.AgentChatAudioReadyEvent;

/** Why a reply ends without `done`: each is an `error` event's code. */
export type ReplyFailure = 'AGENT_TIMEOUT' | 'AGENT_ERROR' | 'AGENT_EMPTY_REPLY' | 'HUMAN_IN_CONTROL';

const MESSAGES: Record<ReplyFailure, string> = {
  AGENT_TIMEOUT: 'The agent did not answer in time.',
  AGENT_ERROR: 'The agent failed to answer.',
  AGENT_EMPTY_REPLY: 'The agent answered nothing.',
  HUMAN_IN_CONTROL: 'A human took over the conversation; the AI reply was discarded.',
};

export interface ReplyHooks {
  /** Before the first chunk is sent (e.g. settle a fee: from now on it is not refunded). */
  firstChunk?(): Promise<void>;
  /** The reply failed; `chunksSent` says whether any text reached the client (e.g. refund when 0). */
  failed?(failure: ReplyFailure, chunksSent: number): Promise<void>;
  /** Whether the reply may still be posted (customer service: the AI while no human is in control). */
  stillAllowed?(): Promise<boolean>;
  /** Stores the complete reply; returns its message id, or undefined when it may no longer be posted. */
  store(text: string): Promise<string | undefined>;
  /** After `done`: audio of the reply, or undefined (no `audio_ready`). */
  speak?(text: string, messageId: string): Promise<string | undefined>;
}

export class TimeoutError extends Error {}

/** Runs the reply into `queue` (which it ends); never throws. `prepare` builds the request (a failure is AGENT_ERROR). */
export async function runReply(agent: AgentProvider, prepare: () => Promise<AgentRequest>, timeoutMs: number, hooks: ReplyHooks, queue: EventQueue<StreamEvent<ReplyEvent>>, onUnexpected: (error: unknown) => void): Promise<void> {
  const fail = async (failure: ReplyFailure, chunks: number) => {
    await hooks.failed?.(failure, chunks);
    queue.push({ data: { type: 'error', code: failure, message: MESSAGES[failure] } });
  };
  const controller = new AbortController();
  let text = '';
  let chunks = 0;
  try {
    try {
      const request = await prepare();
      let leading = ''; // whitespace before the first visible character: a blank reply is an empty one
      for await (const delta of withTimeout(agent.stream(request, controller.signal), timeoutMs, controller)) {
        let piece = delta.slice(0, MAX_REPLY_CHARS - text.length);
        if (chunks === 0) {
          leading += piece;
          if (!/\S/.test(leading)) continue;
          piece = leading.trimStart().slice(0, MAX_REPLY_CHARS);
        }
        if (!piece) continue;
        if (hooks.stillAllowed && !(await hooks.stillAllowed())) { controller.abort(); await fail('HUMAN_IN_CONTROL', chunks); return; }
        if (chunks === 0) await hooks.firstChunk?.();
        text += piece;
        chunks += 1;
        queue.push({ data: { type: 'chunk', content: piece } });
        if (text.length >= MAX_REPLY_CHARS) { controller.abort(); break; }
      }
    } catch (error) {
      controller.abort();
      await fail(error instanceof TimeoutError ? 'AGENT_TIMEOUT' : 'AGENT_ERROR', chunks);
      return;
    }
    if (chunks === 0) { await fail('AGENT_EMPTY_REPLY', 0); return; }
    const messageId = await hooks.store(text);
    if (!messageId) { await fail('HUMAN_IN_CONTROL', chunks); return; }
    queue.push({ data: { type: 'done', agentMessageId: messageId } });
    const audioUrl = await hooks.speak?.(text, messageId).catch(() => undefined);
    if (audioUrl) queue.push({ data: { type: 'audio_ready', audioUrl } });
  } catch (error) {
    onUnexpected(error);
    queue.push({ data: { type: 'error', code: 'AGENT_ERROR', message: MESSAGES.AGENT_ERROR } });
  } finally {
    queue.end();
  }
}

/** Fails with TimeoutError (and aborts the provider) when the next item takes longer than `ms`. */
export async function* withTimeout<T>(source: AsyncIterable<T>, ms: number, controller: AbortController): AsyncIterable<T> {
  const iterator = source[Symbol.asyncIterator]();
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => { controller.abort(); reject(new TimeoutError()); }, ms); });
    try {
      const next = await Promise.race([iterator.next(), timeout]);
      if (next.done) return;
      yield next.value;
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Events from a reply task to the SSE response. The task never waits for the reader: a reader that has gone
 * (client disconnected) simply stops taking events, and what a slow reader has not taken yet is held here
 * (a reply is at most 20,000 characters, so this is bounded).
 */
export class EventQueue<E> implements AsyncIterable<E> {
  private readonly items: E[] = [];
  private waiting: ((result: IteratorResult<E>) => void) | undefined;
  private ended = false;

  push(item: E): void {
    if (this.ended) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: item, done: false });
    } else {
      this.items.push(item);
    }
  }

  end(): void {
    this.ended = true;
    this.waiting?.({ value: undefined, done: true });
    this.waiting = undefined;
  }

  [Symbol.asyncIterator](): AsyncIterator<E> {
    return {
      next: () => {
        const item = this.items.shift();
        if (item !== undefined) return Promise.resolve({ value: item, done: false });
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => { this.waiting = resolve; });
      },
      return: () => Promise.resolve({ value: undefined, done: true }),
    };
  }
}
