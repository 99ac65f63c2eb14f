// Wallet rows -> contract types (minor units -> credits).
import type * as T from '../../generated/server/schemas.gen.js';
import { fromMinor } from '../platform/money.js';
import type { LedgerEntry } from './models.js';

export const toLedgerEntry = (entry: LedgerEntry): T.LedgerEntry => ({
  id: entry.id,
  amount: fromMinor(entry.amountMinor),
  balanceAfter: fromMinor(entry.balanceAfterMinor),
  kind: entry.kind,
  description: entry.description,
  referenceType: entry.referenceType,
  referenceId: entry.referenceId,
  createdAt: entry.createdAt.toISOString(),
});
