// Recognising database errors by their SQLSTATE, whichever driver (pg or PGlite) raised them.
const sqlState = (error: unknown) =>
  (error as { code?: string; nativeError?: { code?: string } })?.nativeError?.code ??
  (error as { code?: string })?.code;

export const isUniqueViolation = (error: unknown) => sqlState(error) === '23505';
export const isForeignKeyViolation = (error: unknown) => sqlState(error) === '23503';
