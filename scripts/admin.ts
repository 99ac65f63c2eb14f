// `npm run admin -- grant <email> | revoke <email> | list | credit <email> <amount> [reason]`: the operator grants
// and revokes admin for existing accounts (admins are made by the operator, never by a request;
// src/auth/admins.ts), and credits a wallet without an admin account (development, support): the same ledger
// entry as an admin's creditWallet. It opens the database the server uses, from the same settings
// (DATABASE_URL and DATABASE_SCHEMA, or DATA_DIR: the embedded database only while no server holds it). A grant
// or revocation applies to the account's sessions and API keys from their next request, on every instance.
import { validators } from '../generated/validators/index.gen.js';
import { AdminAccounts } from '../src/auth/admins.js';
import { loadConfig } from '../src/config.js';
import { systemClock } from '../src/platform/clock.js';
import { openDatabase } from '../src/platform/database.js';
import { WalletService } from '../src/wallet/service.js';

const USAGE = 'Usage: npm run admin -- grant <email> | revoke <email> | list | credit <email> <amount> [reason]';
const CREDIT_REASON = 'Credited by the operator';

async function main(args: string[]): Promise<number> {
  const [command, email, ...rest] = args;
  const needsEmail = command === 'grant' || command === 'revoke';
  const credit = command === 'credit' && email !== undefined && rest.length >= 1 && rest.length <= 2;
  if (!(credit || (needsEmail ? email && rest.length === 0 : command === 'list' && email === undefined))) {
    console.error(USAGE);
    return 1;
  }
  const creditInput = credit ? { amount: Number(rest[0]), reason: rest[1] ?? CREDIT_REASON } : undefined;
  if (creditInput) {
    // The contract's rules for an admin's credit (amount, reason), so both ways write the same kind of entry.
    const validate = validators.creditWallet.body!;
    if (!/^\d+(\.\d+)?$/.test(rest[0]!) || !validate({ ...creditInput, idempotencyKey: 'operator' })) {
      console.error(
        `credit: ${rest[0]} and "${creditInput.reason}" must be an amount of 0.01 to 1,000,000 credits with at most two decimals, and a reason of 1 to 500 characters.`,
      );
      return 1;
    }
  }
  const database = await openDatabase(loadConfig());
  try {
    const admins = new AdminAccounts(database.knex);
    if (creditInput) {
      const entry = await new WalletService(database.knex, systemClock).credit(
        await admins.accountId(email!),
        creditInput,
      );
      console.log(
        `${email}: credited ${entry.amount} credits ("${entry.description}"); the balance is now ${entry.balanceAfter}.`,
      );
    } else if (command === 'grant') {
      console.log((await admins.grant(email!)) ? `${email} is now an admin.` : `${email} was already an admin.`);
    } else if (command === 'revoke') {
      console.log(
        (await admins.revoke(email!))
          ? `${email} is no longer an admin: its sessions and API keys lose admin at their next request.`
          : `${email} was not an admin.`,
      );
      if ((await admins.list()).length === 0)
        console.log('There are no admins left: grant admin to an account with npm run admin -- grant <email>.');
    } else {
      const list = await admins.list();
      if (list.length === 0) console.log('There are no admins.');
      for (const admin of list)
        console.log(`${admin.email}\t${admin.name}\taccount created ${admin.createdAt.toISOString()}`);
    }
    return 0;
  } finally {
    await database.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
