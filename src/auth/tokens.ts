// Session tokens and API keys: random, shown to the client once, stored only as a SHA-256 hash. (They carry
// 256 bits of entropy, so a fast hash is enough; passwords get scrypt.)
import { createHash, randomBytes } from 'node:crypto';

export const newSessionToken = () => randomBytes(32).toString('base64url');

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `pk_` and 40 letters and digits; the first 9 characters are its displayable prefix. */
export function newApiKey(): { key: string; prefix: string } {
  const bytes = randomBytes(40);
  let body = '';
  for (const byte of bytes) body += ALPHANUMERIC[byte % ALPHANUMERIC.length];
  const key = `pk_${body}`;
  return { key, prefix: key.slice(0, 9) };
}

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
