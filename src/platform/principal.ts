// Who is calling. The HTTP layer resolves a request's credential to a Principal once (src/http/security.ts,
// through the auth area); every area receives it as `ctx.principal`.
import type { User } from '../../generated/server/schemas.gen.js';

export type CredentialScheme = 'bearerAuth' | 'apiKeyHeader' | 'sessionCookie' | 'vaiTokenCookie' | 'streamTicket';

/** A credential as presented by the client. */
export interface Credential {
  scheme: CredentialScheme;
  token: string;
}

/** The authenticated user and how they proved it. */
export interface Principal {
  user: User;
  scheme: CredentialScheme;
  method: 'session' | 'api_key';
  /** The session's or API key's id (never its token): what ends the streams it opened when it ends. */
  credentialId: string;
  /** When the credential stops working; null for an API key without expiry. */
  expiresAt: Date | null;
  /** The account's stored admin flag (set only by the operator), read with the credential on each request. */
  isAdmin: boolean;
  /**
   * Set when the caller presented a stream ticket: it opens that room's stream only. `method`, `credentialId`
   * and `expiresAt` are then those of the session or API key that asked for it, so it ends with them.
   */
  ticket?: { id: string; roomId: string };
}

/** Turns a credential into a principal, or undefined when it is unknown, expired or revoked. */
export interface Authenticator {
  authenticate(credential: Credential): Promise<Principal | undefined>;
}
