// The client's types carry the contract's limits in their doc comments (hey-api writes only descriptions), so
// an editor shows `@maximum 100` on `limit` before the server has to refuse 500.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/contract.js';

const types = readFileSync(join(repoRoot, 'generated', 'client', 'src', 'gen', 'types.gen.ts'), 'utf8');

/** The doc comment right above `property` inside `export type <name> = ...`. */
function docOf(name: string, property: string): string {
  const start = types.indexOf(`export type ${name} = `);
  expect(start, name).toBeGreaterThanOrEqual(0);
  const body = types.slice(start, types.indexOf('\n};\n', start));
  const at =
    body.indexOf(`\n        ${property}?:`) >= 0
      ? body.indexOf(`\n        ${property}?:`)
      : body.indexOf(`\n    ${property}`);
  expect(at, `${name}.${property}`).toBeGreaterThan(0);
  return body.slice(body.lastIndexOf('/**', at), at);
}

describe('client doc comments', () => {
  it("name a query parameter's range and default after its description", () => {
    const doc = docOf('ListRoomsData', 'limit');
    expect(doc).toContain('Items per page, 1 to 100.');
    expect(doc).toMatch(/@minimum 1\s+\*\s+@maximum 100\s+\*\s+@default 50/);
  });

  it("name a body field's length limits", () => {
    expect(docOf('RoomMessageCreateRequest', 'idempotencyKey')).toMatch(/@minLength 1\s+\*\s+@maxLength 200/);
    expect(docOf('CreditWalletRequest', 'amount')).toMatch(
      /@minimum 0\.01\s+\*\s+@maximum 1000000\s+\*\s+@multipleOf 0\.01/,
    );
  });
});
