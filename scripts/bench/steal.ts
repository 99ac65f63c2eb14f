// CPU time the hypervisor gave to other guests ("steal", /proc/stat): on a shared virtual machine one reason
// the same server's cost can move from run to run, so a report says how much of the run's CPU time it took.
import { readFileSync } from 'node:fs';

export interface CpuTimes {
  total: number;
  steal: number;
}

/** The machine's CPU time so far, in clock ticks; undefined where /proc/stat is not (not Linux). */
export function cpuTimes(): CpuTimes | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest and guest_nice are inside user and nice)
    return { total: fields.slice(0, 8).reduce((a, b) => a + b, 0), steal: fields[7] ?? 0 };
  } catch {
    return undefined;
  }
}

/** The share of the CPU time between two readings that was stolen, 0 to 1. */
export function stolenShare(from: CpuTimes | undefined, to: CpuTimes | undefined): number | undefined {
  if (!from || !to || to.total <= from.total) return undefined;
  return (to.steal - from.steal) / (to.total - from.total);
}
