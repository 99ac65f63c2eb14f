// An agent's reply as a stream of events, shared by every chat (communities, customer service, lounges):
//   `chunk`... then `done` (after the caller stored the reply) and an optional `audio_ready`, or `error`.
// The reply runs as a task of its own that writes into an EventQueue the SSE response reads, so a client
// that disconnects stops reading while the task finishes (within its timeouts) and the reply is still stored.
import type { StreamEvent } from '../../generated/server/index.js';
import type * as T from '../../generated/server/schemas.gen.js';
import type { AgentProvider, AgentRequest } from './agent-provider.js';

export const MAX_REPLY_CHARS = 20_000;

/**
 * What a chat is told of the request that opened it, as plain values: the server's base URL (audio links
 * are absolute), and where a failure no event explains is reported (the handler logs it with the request id).
 */
export interface ChatOrigin {
  baseUrl: string;
  unexpected: (error: unknown, about: Record<string, string>) => void;
}

export type ReplyEvent =
  | T.AgentChatChunkEvent
  | T.AgentChatDoneEvent
  | T.AgentChatErrorEvent
  | T.AgentChatAudioReadyEvent;

/** Why a reply ends without `done`: each is an `error` event's code. */
export type ReplyFailure = 'AGENT_TIMEOUT' | 'AGENT_ERROR' | 'AGENT_EMPTY_REPLY' | 'HUMAN_IN_CONTROL' | 'INTERRUPTED';

const MESSAGES: Record<ReplyFailure, string> = {
  AGENT_TIMEOUT: 'The agent did not answer in time.',
  AGENT_ERROR: 'The agent failed to answer.',
  AGENT_EMPTY_REPLY: 'The agent answered nothing.',
  HUMAN_IN_CONTROL: 'A human took over the conversation; the AI reply was discarded.',
  INTERRUPTED: 'The server stopped before the reply was stored; nothing of it was kept. Try again.',
};

export interface ReplyHooks {
  /** Aborted when the reply must stop (the server stops, or its call was ended elsewhere): it fails with INTERRUPTED. */
  signal?: AbortSignal;
  /** The reply failed and nothing of it is stored (e.g. refund a fee). */
  failed?(failure: ReplyFailure): Promise<void>;
  /** Whether the reply may still be posted (customer service: the AI while no human is in control). */
  stillAllowed?(): Promise<boolean>;
  /** Stores the complete reply: its message id, or why it may not be stored. */
  store(text: string): Promise<{ messageId: string } | { failure: ReplyFailure }>;
  /** After `done`: audio of the reply, or undefined (no `audio_ready`). */
  speak?(text: string, messageId: string): Promise<string | undefined>;
}

export class TimeoutError extends Error {}

/** Runs the reply into `queue` (which it ends); never throws. `prepare` builds the request (a failure is AGENT_ERROR). */
export async function runReply(
  agent: AgentProvider,
  prepare: () => Promise<AgentRequest>,
  timeoutMs: number,
  hooks: ReplyHooks,
  queue: EventQueue<StreamEvent<ReplyEvent>>,
  onUnexpected: (error: unknown) => void,
): Promise<void> {
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  hooks.signal?.addEventListener('abort', interrupt, { once: true });
  const interrupted = () => hooks.signal?.aborted === true;
  let ended = false;
  const fail = async (failure: ReplyFailure) => {
    ended = true;
    // A failure to record it (e.g. the refund) is not the client's: whoever finds the call unended finishes it.
    await hooks.failed?.(failure).catch(onUnexpected);
    queue.push({ data: { type: 'error', code: failure, message: MESSAGES[failure] } });
  };
  let text = '';
  let chunks = 0;
  try {
    let failure: ReplyFailure | undefined;
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
        if (hooks.stillAllowed && !(await hooks.stillAllowed())) {
          controller.abort();
          failure = 'HUMAN_IN_CONTROL';
          break;
        }
        text += piece;
        chunks += 1;
        queue.push({ data: { type: 'chunk', content: piece } });
        if (text.length >= MAX_REPLY_CHARS) {
          controller.abort();
          break;
        }
      }
    } catch (error) {
      controller.abort();
      failure = error instanceof TimeoutError ? 'AGENT_TIMEOUT' : 'AGENT_ERROR';
    }
    // A provider may end its stream quietly when aborted: the reply is then incomplete.
    if (interrupted()) failure = 'INTERRUPTED';
    else if (!failure && chunks === 0) failure = 'AGENT_EMPTY_REPLY';
    if (failure) {
      await fail(failure);
      return;
    }
    const stored = await hooks.store(text);
    if ('failure' in stored) {
      await fail(stored.failure);
      return;
    }
    ended = true;
    queue.push({ data: { type: 'done', agentMessageId: stored.messageId } });
    const audioUrl = await hooks.speak?.(text, stored.messageId).catch(() => undefined);
    if (audioUrl) queue.push({ data: { type: 'audio_ready', audioUrl } });
  } catch (error) {
    onUnexpected(error);
    if (!ended) await fail('AGENT_ERROR');
  } finally {
    hooks.signal?.removeEventListener('abort', interrupt);
    queue.end();
  }
}

/**
 * Fails with TimeoutError (and aborts the provider) when the next item takes longer than `ms`, and stops
 * waiting as soon as `controller` is aborted, even if the provider ignores the abort.
 */
export async function* withTimeout<T>(
  source: AsyncIterable<T>,
  ms: number,
  controller: AbortController,
): AsyncIterable<T> {
  const iterator = source[Symbol.asyncIterator]();
  const aborted = new Promise<never>((_, reject) => {
    const stop = () => reject(new Error('aborted'));
    if (controller.signal.aborted) stop();
    else controller.signal.addEventListener('abort', stop, { once: true });
  });
  aborted.catch(() => undefined);
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    // Rejected before the abort, so a timeout is reported as one.
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new TimeoutError());
        controller.abort();
      }, ms);
    });
    try {
      const next = await Promise.race([iterator.next(), timeout, aborted]);
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
        return new Promise((resolve) => {
          this.waiting = resolve;
        });
      },
      return: () => Promise.resolve({ value: undefined, done: true }),
    };
  }
}
