// How many long-lived streams each user holds open in this process, at most `max` each, whichever credentials
// and rooms they use: what one caller can hold of a server's sockets and memory. Counted per instance: that
// is where sockets and memory are spent, and a count shared across instances would need leases that outlive
// a crashed instance's streams.
export class StreamQuota {
  private readonly counts = new Map<string, number>();

  constructor(readonly max: number) {}

  /** Takes a place for `userId`: the function that gives it back (once), or undefined when they hold `max`. */
  take(userId: string): (() => void) | undefined {
    const held = this.counts.get(userId) ?? 0;
    if (held >= this.max) return undefined;
    this.counts.set(userId, held + 1);
    let given = false;
    return () => {
      if (given) return;
      given = true;
      const left = (this.counts.get(userId) ?? 1) - 1;
      if (left > 0) this.counts.set(userId, left);
      else this.counts.delete(userId);
    };
  }
}
