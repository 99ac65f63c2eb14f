// Reading problem bodies in tests.

/** `in:field` of each entry of a 400 VALIDATION_FAILED problem's `errors`. */
export const fieldsOf = (error: unknown): string[] =>
  ((error as { errors?: Array<{ in: string; field: string }> }).errors ?? []).map((e) => `${e.in}:${e.field}`);
