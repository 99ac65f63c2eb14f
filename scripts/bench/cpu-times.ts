// Where the machine's CPU time goes while a server is loaded, from /proc. The time the hypervisor gave to other
// guests ("steal"): on a shared virtual machine one reason the same server's cost can move from run to run, so a
// report says how much of the run's CPU time it took. The busy time of all the cores and of the local PostgreSQL
// server's processes: on a machine whose cores the database, the load generator and the server share, they say
// which of them bounds the requests per second.
import { readdirSync, readFileSync } from 'node:fs';

export interface CpuTimes {
  total: number;
  steal: number;
  /** Ticks the machine's cores spent running anything (not idle, not waiting on I/O, not stolen). */
  busy: number;
}

/** The machine's CPU time so far, in clock ticks; undefined where /proc/stat is not (not Linux). */
export function cpuTimes(): CpuTimes | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest and guest_nice are inside user and nice)
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    const steal = fields[7] ?? 0;
    return { total, steal, busy: total - (fields[3] ?? 0) - (fields[4] ?? 0) - steal };
  } catch {
    return undefined;
  }
}

/** Clock ticks per second of /proc/stat's counters (USER_HZ: 100 on every Linux this runs on). */
export const TICKS_PER_SECOND = 100;

/** The share of the CPU time between two readings that was stolen, 0 to 1. */
export function stolenShare(from: CpuTimes | undefined, to: CpuTimes | undefined): number | undefined {
  if (!from || !to || to.total <= from.total) return undefined;
  return (to.steal - from.steal) / (to.total - from.total);
}

/**
 * CPU time (user + system, in clock ticks) used so far by each process named `postgres` on this machine, by pid: a
 * local PostgreSQL server's postmaster and backends. Undefined where /proc is not.
 */
export function postgresTicks(): Map<number, number> | undefined {
  try {
    const ticks = new Map<number, number>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      } catch {
        continue; // gone since the listing
      }
      const close = stat.lastIndexOf(')');
      if (stat.slice(stat.indexOf('(') + 1, close) !== 'postgres') continue;
      // After "pid (comm) ": state is field 3; utime and stime are fields 14 and 15.
      const fields = stat.slice(close + 2).split(' ');
      ticks.set(Number(entry), Number(fields[11]) + Number(fields[12]));
    }
    return ticks;
  } catch {
    return undefined;
  }
}

/**
 * The ticks PostgreSQL's processes used between two readings: each process's growth, a process that started in
 * between counted whole. A backend that exited in between (an idle connection a pool closed) took its time with
 * it; a server's pooled connections stay open across its measured round, so its own queries are counted.
 */
export function postgresTicksBetween(from: Map<number, number>, to: Map<number, number>): number {
  let ticks = 0;
  for (const [pid, now] of to) ticks += now - (from.get(pid) ?? 0);
  return ticks;
}
