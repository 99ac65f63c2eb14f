// Date-time inputs: every `format: date-time` the contract accepts (query, header or body) follows one rule.
// - What is accepted: RFC 3339's `date-time` exactly (DATE_TIME: `T` or `t`, `Z`, `z` or a ±HH:MM offset,
//   hours 00-23, seconds up to 60), which the generated validators combine with ajv-formats' calendar checks
//   (a real date; a leap second only at 23:59 UTC). ajv-formats alone also takes a space or a tab for the
//   `T`, `+01` and `+0100` offsets and a leap second at hour 24.
// - What it means: toTimestamp. JavaScript's Date refuses leap seconds and keeps milliseconds; PostgreSQL
//   refuses year 0000 and offsets past ±15:59, and rounds to microseconds. So values are converted here,
//   exactly, never by `new Date()` and never by PostgreSQL's parser.

/** RFC 3339 section 5.6 `date-time`; groups: year, month, day, hour, minute, second, fraction, sign, offset hours, offset minutes. */
export const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt]([01]\d|2[0-3]):([0-5]\d):([0-5]\d|60)(?:\.(\d+))?(?:[Zz]|([+-])([01]\d|2[0-3]):([0-5]\d))$/;

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/**
 * The first instant PostgreSQL can hold at or after the one a validated date-time names, as a timestamptz
 * literal in UTC (`0001-01-01 00:00:00.000000+00 BC` for year 0000). PostgreSQL holds whole microseconds, so
 * finer fractions round up, and a leap second (23:59:60 UTC, whatever its fraction) is the next minute's
 * first instant: it comes after every instant of 23:59:59 and before that one. Comparing stored times with
 * `<` (or `>=`) against this value is then exact: `before=...T23:59:60Z` keeps 23:59:59.999999.
 */
export function toTimestamp(text: string): string {
  const m = DATE_TIME.exec(text);
  if (!m) throw new Error(`not a date-time the validators accept: ${JSON.stringify(text)}`);
  const [, year, month, day, hour, minute, second, fraction = '', sign, offsetHours, offsetMinutes] = m;
  const leap = second === '60';
  const micros = leap ? 0 : Number(fraction.slice(0, 6).padEnd(6, '0')) + (/[1-9]/.test(fraction.slice(6)) ? 1 : 0);
  const offset = sign ? (sign === '-' ? -1 : 1) * (Number(offsetHours) * 60 + Number(offsetMinutes)) : 0;
  const t = new Date(0);
  t.setUTCFullYear(Number(year), Number(month) - 1, Number(day)); // Date.UTC would read years 0-99 as 1900-1999
  // Out-of-range minutes and seconds carry over: the offset moves to UTC, second 60 is the next minute.
  t.setUTCHours(Number(hour), Number(minute) - offset, Number(second) + Math.floor(micros / 1e6), 0);
  const utcYear = t.getUTCFullYear();
  const bc = utcYear <= 0; // astronomical year 0 is 1 BC
  return (
    `${pad(bc ? 1 - utcYear : utcYear, 4)}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())} ` +
    `${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())}.${pad(micros % 1e6, 6)}+00${bc ? ' BC' : ''}`
  );
}
