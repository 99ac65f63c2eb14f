// The stop's phases (src/platform/shutdown.ts) without a process: every phase runs in order even after one
// fails, each logged at its start and end with its duration, and `onPhase` tells a follower (a metrics gauge)
// each phase as it starts. The real stop, SIGTERM to a server process, is in restarts.test.ts.
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { SHUTDOWN_PHASES, Shutdown } from '../../src/platform/shutdown.js';

function logger() {
  const lines: Array<{ msg: string; phase?: string; durationMs?: number; failed?: string[] }> = [];
  const log = pino(
    { level: 'info' },
    new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    }),
  );
  return { log, lines };
}

describe('shutdown phases', () => {
  it('runs every phase in order after one fails, logs each with its duration, and reports the failure', async () => {
    const { log, lines } = logger();
    const shutdown = new Shutdown();
    const seen: string[] = [];
    shutdown.onPhase((phase) => seen.push(phase));
    const ran: string[] = [];
    const work = Object.fromEntries(
      SHUTDOWN_PHASES.map((phase) => [
        phase,
        async () => {
          ran.push(phase);
          expect(shutdown.phase).toBe(phase);
          await new Promise((resolve) => setTimeout(resolve, 5));
          if (phase === 'finish-agent-calls') throw new Error('refund failed');
        },
      ]),
    );
    expect(shutdown.phase).toBeUndefined();
    const outcome = await shutdown.run(work, log, 'SIGTERM');

    expect(outcome.failed).toEqual(['finish-agent-calls']);
    expect(ran).toEqual([...SHUTDOWN_PHASES]);
    expect(seen).toEqual([...SHUTDOWN_PHASES, 'stopped']);
    expect(shutdown.phase).toBe('stopped');
    const phaseLines = lines.filter((line) => line.msg.startsWith('shutdown phase'));
    expect(phaseLines.map((line) => [line.msg, line.phase])).toEqual(
      SHUTDOWN_PHASES.flatMap((phase) => [
        ['shutdown phase started', phase],
        [phase === 'finish-agent-calls' ? 'shutdown phase failed' : 'shutdown phase ended', phase],
      ]),
    );
    for (const line of phaseLines.filter((l) => l.msg !== 'shutdown phase started'))
      expect(line.durationMs).toBeGreaterThanOrEqual(4);
    expect(lines.at(-1)).toMatchObject({ msg: 'shutdown failed', failed: ['finish-agent-calls'] });
  });

  it('runs once: a second signal during the stop changes nothing', async () => {
    const { log } = logger();
    const shutdown = new Shutdown();
    let release!: () => void;
    const first = shutdown.run({ 'finish-requests': () => new Promise<void>((r) => (release = r)) }, log, 'SIGTERM');
    while (shutdown.phase !== 'finish-requests') await new Promise((resolve) => setImmediate(resolve));
    const second = await shutdown.run({}, log, 'SIGINT');
    expect(second.failed).toEqual([]);
    expect(shutdown.cause).toBe('SIGTERM');
    expect(shutdown.phase).toBe('finish-requests');
    release();
    expect((await first).failed).toEqual([]);
  });
});
