// Name searches: `%`, `_` and `\` in what the client typed match themselves, not as LIKE wildcards.
export const likeLiteral = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/** `%text%` for a case-insensitive substring match, or undefined for an empty search (no filter). */
export function containsPattern(search: string | undefined): string | undefined {
  const text = search?.trim();
  return text ? `%${likeLiteral(text)}%` : undefined;
}
