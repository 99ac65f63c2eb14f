// Admins are made by the operator, never by a request (the bootstrap admin of Grafana and Keycloak): at start
// the server creates the accounts ADMIN_EMAILS lists that do not exist yet, as admins; `npm run admin`
// (scripts/admin.ts) grants and revokes admin for existing accounts. Whether a caller is an admin is the
// stored users.is_admin, read with the credential on every request (AuthService.authenticate).
import type { Knex } from 'knex';
import { validators } from '../../generated/validators/index.gen.js';
import { User } from './models.js';
import { hashPassword } from './passwords.js';
import { normalizeEmail } from './queries.js';

/** The name of the accounts the bootstrap creates (their owners cannot rename them yet). */
export const BOOTSTRAP_ADMIN_NAME = 'Admin';

export interface AdminLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

/** Refused by the operator command: it changes existing accounts only. */
export class NoSuchAccount extends Error {
  constructor(readonly email: string) {
    super(
      `No account has the email ${email}: its owner signs up first, or list it in ADMIN_EMAILS (with ADMIN_PASSWORD) to have it created as an admin at the next start.`,
    );
  }
}

export class AdminAccounts {
  constructor(private readonly db: Knex) {}

  /**
   * Creates each listed account that does not exist yet, as an admin with `password`; throws, with one
   * sentence for the operator, when there is one to create and no valid password. A listed account that
   * exists and is not an admin stays as it is (whoever signed up first with that email owns it), with a
   * warning. Safe on several instances starting at once (the unique email decides) and across restarts:
   * `password` is only the first password of the accounts created, never applied to existing ones.
   */
  async bootstrap(emails: Iterable<string>, password: string | undefined, log: AdminLog): Promise<void> {
    const listed = [...new Set([...emails].map(normalizeEmail))];
    if (listed.length === 0) return;
    const existing = new Set((await User.query(this.db).whereIn('email', listed).select('email')).map((u) => u.email));
    const missing = listed.filter((email) => !existing.has(email));
    if (missing.length > 0) {
      if (!password) {
        throw new Error(
          `ADMIN_EMAILS lists ${missing.join(', ')}, which ${missing.length === 1 ? 'has' : 'have'} no account yet: set ADMIN_PASSWORD to the first password of the admin ${missing.length === 1 ? 'account' : 'accounts'} to create, or remove ${missing.length === 1 ? 'it' : 'them'} from ADMIN_EMAILS.`,
        );
      }
      for (const email of missing) refuseInvalid({ name: BOOTSTRAP_ADMIN_NAME, email, password });
      const passwordHash = await hashPassword(password);
      // Plain knex: Objection hands back every row given to an insert, the ones the conflict skipped too.
      const created: Array<Pick<User, 'email'>> = await this.db(User.tableName)
        .insert(
          missing.map((email) => ({ name: BOOTSTRAP_ADMIN_NAME, email, passwordHash, image: null, isAdmin: true })),
        )
        .onConflict('email')
        .ignore()
        .returning('email');
      for (const { email } of created) log.info({ email }, 'admin account created (ADMIN_EMAILS)');
    }
    // Read again after the inserts: another instance may have created some of them meanwhile (as admins).
    const notAdmins = await User.query(this.db)
      .whereIn('email', listed)
      .where('isAdmin', false)
      .select('email')
      .orderBy('email');
    for (const { email } of notAdmins) {
      log.warn(
        { email },
        `ADMIN_EMAILS lists ${email}, which belongs to an account that is not an admin: it was not made one, ` +
          `since whoever signed up first with that email owns it. If that account is yours, grant it admin with: npm run admin -- grant ${email}`,
      );
    }
  }

  /** Makes an existing account an admin; false when it already was one. */
  grant(email: string): Promise<boolean> {
    return this.set(email, true);
  }

  /**
   * Takes admin from an existing account; false when it was not one. Revoking the last admin is allowed:
   * the operator can always grant again, and may need to, e.g. to take admin from a compromised account.
   */
  revoke(email: string): Promise<boolean> {
    return this.set(email, false);
  }

  /** The id of the account with this email; NoSuchAccount when there is none. */
  async accountId(email: string): Promise<string> {
    const normalized = normalizeEmail(email);
    const user = await User.query(this.db).findOne({ email: normalized }).select('id');
    if (!user) throw new NoSuchAccount(normalized);
    return user.id;
  }

  /** Every admin, by email. */
  async list(): Promise<Array<Pick<User, 'email' | 'name' | 'createdAt'>>> {
    return User.query(this.db).where('isAdmin', true).select('email', 'name', 'createdAt').orderBy('email');
  }

  private async set(email: string, isAdmin: boolean): Promise<boolean> {
    const normalized = normalizeEmail(email);
    const changed = await User.query(this.db).where({ email: normalized, isAdmin: !isAdmin }).patch({ isAdmin });
    if (changed > 0) return true;
    if (!(await User.query(this.db).findOne({ email: normalized }))) throw new NoSuchAccount(normalized);
    return false;
  }
}

/** An account the bootstrap creates obeys the sign-up rules (the contract's), so its owner can sign in. */
function refuseInvalid(account: { name: string; email: string; password: string }): void {
  const validate = validators.signUp.body!;
  if (validate(account)) return;
  const error = validate.errors![0]!;
  if (error.instancePath === '/password')
    throw new Error(`ADMIN_PASSWORD ${error.message}: choose a password a sign-up would accept.`);
  throw new Error(
    `ADMIN_EMAILS: "${account.email}" is not an email address a sign-up would accept (${error.message}).`,
  );
}
