// What a stream handed to the SSE writer (src/http/sse.ts) may say about itself; areas' streams set them.

/** A stream that may cut its client off (see above). Any AsyncIterable handed to the writer may carry one. */
export interface CutOff {
  readonly cutOff?: AbortSignal;
}

/**
 * A stream whose client asked for unnamed events (no `event:` line): a browser's EventSource then hands every
 * event to `onmessage`, types it has no listener for included. Any AsyncIterable handed to the writer may say so.
 */
export interface Unnamed {
  readonly unnamed?: boolean;
}

/**
 * An event that says when it was committed (ms since the epoch): the writer records the time from then to its
 * write to the client's socket (`room_event_delivery_lag_seconds`). Live room events carry it; backfill does not.
 */
export interface Committed {
  committedAtMs?: number;
}
