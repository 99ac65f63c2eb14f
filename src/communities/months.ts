// Paid months: from the moment of payment to the same time `n` calendar months later, in UTC. A day that the
// later month lacks is clamped to its last day (31 January + 1 month = 28 or 29 February).
export function addMonths(from: Date, n: number): Date {
  const target = new Date(from.getTime());
  const day = target.getUTCDate();
  target.setUTCDate(1);
  target.setUTCMonth(target.getUTCMonth() + n);
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(day, lastDay));
  return target;
}
