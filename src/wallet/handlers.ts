import type { HandlersOf } from '../http/context.js';
import type { WalletService } from './service.js';

export const walletHandlers = (wallet: WalletService) =>
  ({
    getWallet: async (_request, ctx) => ({ status: 200, body: await wallet.get(ctx.principal.user.id) }),

    listLedgerEntries: async ({ query }, ctx) => ({
      status: 200,
      body: await wallet.ledger(ctx.principal.user.id, query),
    }),

    // Idempotent (x-idempotency): the credit joins the transaction that records the key.
    creditWallet: async ({ path, body }, ctx) => ({
      status: 201,
      body: await wallet.credit(path.user_id, body, ctx.trx),
    }),
  }) satisfies HandlersOf<'wallet'>;
