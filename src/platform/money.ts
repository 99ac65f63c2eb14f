// Money is exact: amounts are integers of hundredths of a credit ("minor units") in the database and in
// arithmetic, and JSON numbers with at most two decimals on the wire. Inputs are validated to two decimals
// by the contract before they get here, so rounding only removes floating-point noise (0.29 * 100).
export type Minor = number;

export const toMinor = (credits: number): Minor => Math.round(credits * 100);
export const fromMinor = (minor: Minor | string): number => Number(minor) / 100;

/** `fee` less the platform's share (a fraction from 0 to 1), rounded down to whole hundredths. */
export const afterPlatformShare = (fee: Minor, share: number): Minor => fee - Math.ceil(fee * share - 1e-9);
