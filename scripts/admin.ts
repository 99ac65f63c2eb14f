// `npm run admin -- grant <email> | revoke <email> | list`: the operator grants and revokes admin for existing
// accounts (admins are made by the operator, never by a request; src/auth/admins.ts). It opens the database the
// server uses, from the same settings (DATABASE_URL and DATABASE_SCHEMA, or DATA_DIR: the embedded database
// only while no server holds it). A grant or revocation applies to the account's sessions and API keys from
// their next request, on every instance.
import { AdminAccounts } from '../src/auth/admins.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/platform/database.js';

const USAGE = 'Usage: npm run admin -- grant <email> | revoke <email> | list';

async function main(args: string[]): Promise<number> {
  const [command, email, ...rest] = args;
  const needsEmail = command === 'grant' || command === 'revoke';
  if (!(needsEmail ? email && rest.length === 0 : command === 'list' && email === undefined)) {
    console.error(USAGE);
    return 1;
  }
  const database = await openDatabase(loadConfig());
  try {
    const admins = new AdminAccounts(database.knex);
    if (command === 'grant') {
      console.log((await admins.grant(email!)) ? `${email} is now an admin.` : `${email} was already an admin.`);
    } else if (command === 'revoke') {
      console.log((await admins.revoke(email!))
        ? `${email} is no longer an admin: its sessions and API keys lose admin at their next request.`
        : `${email} was not an admin.`);
      if ((await admins.list()).length === 0) console.log('There are no admins left: grant admin to an account with npm run admin -- grant <email>.');
    } else {
      const list = await admins.list();
      if (list.length === 0) console.log('There are no admins.');
      for (const admin of list) console.log(`${admin.email}\t${admin.name}\taccount created ${admin.createdAt.toISOString()}`);
    }
    return 0;
  } finally {
    await database.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
