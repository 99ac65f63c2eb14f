// The wallet area's tables as Objection models: its query layer. Balances move only through
// WalletService, which writes a ledger entry with every change.
import { Model } from 'objection';

export class Wallet extends Model {
  static override tableName = 'wallets';
  static override idColumn = 'userId';
  userId!: string;
  balanceMinor!: string | number;
  createdAt!: Date;
  updatedAt!: Date;
}

export type LedgerKind = 'credit' | 'join_fee' | 'monthly_fee' | 'agent_call_fee' | 'refund' | 'fee_income';

export class LedgerEntry extends Model {
  static override tableName = 'ledger_entries';
  id!: string;
  userId!: string;
  amountMinor!: string | number;
  balanceAfterMinor!: string | number;
  kind!: LedgerKind;
  description!: string;
  referenceType!: string | null;
  referenceId!: string | null;
  createdAt!: Date;
}
