// The event bus behind live streams. A writer publishes, after its transaction commits, that something new
// happened on a channel (e.g. a room's id); subscribers are told and read the new rows themselves. Messages
// carry ids, never the data: a bus between instances (PostgreSQL NOTIFY) takes payloads under 8 kB, and the
// database stays the one source of what happened.
import { EventEmitter } from 'node:events';

export interface EventBus {
  publish(channel: string, message: string): Promise<void>;
  /** Calls `listener` for each message on `channel` until the returned function is called. */
  subscribe(channel: string, listener: (message: string) => void): () => void;
  close(): Promise<void>;
}

/** Delivery within this process only: the embedded database's deployment (one process), and tests. */
export class InProcessEventBus implements EventBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  async publish(channel: string, message: string): Promise<void> {
    this.emitter.emit(channel, message);
  }

  subscribe(channel: string, listener: (message: string) => void): () => void {
    this.emitter.on(channel, listener);
    return () => { this.emitter.off(channel, listener); };
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}
