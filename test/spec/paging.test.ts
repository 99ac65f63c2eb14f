// x-paging: every list that pages says how (the client's paginate reads it), and generation refuses a list it
// could not page: a missing x-paging, an unknown style, a parameter or field that does not exist.
import { describe, expect, it } from 'vitest';
import { bundlePath } from '../helpers/contract.js';
import { loadContract, pagingOf, type JsonObject, type Operation } from '../../scripts/generate/contract.js';

const contract = loadContract(bundlePath);
const op = (id: string): Operation => contract.operations.find((o) => o.operationId === id)!;
const check = (id: string, paging: unknown) => () => pagingOf(contract.doc as JsonObject, op(id), paging);

describe('x-paging', () => {
  it('is on every GET with a limit, and on nothing else', () => {
    for (const o of contract.operations) {
      const isList =
        o.method === 'get' &&
        o.parameters.some((p) => p.in === 'query' && p.name === 'limit') &&
        o.operationId !== 'streamRoomEvents';
      expect(o.paging !== undefined, o.operationId).toBe(isList);
    }
    expect(
      contract.operations
        .filter((o) => o.paging)
        .map((o) => o.paging!.style)
        .sort(),
    ).toContain('cursor');
  });

  it("carries the limit's default for the client", () => {
    expect(op('listRooms').paging).toEqual({ style: 'offset', items: 'items', defaultLimit: 50 });
    expect(op('listRoomEvents').paging).toEqual({
      style: 'keyset',
      items: 'items',
      param: 'afterSeq',
      from: 'seq',
      start: 0,
      defaultLimit: 50,
    });
  });

  it('refuses a list that does not say how it pages', () => {
    expect(check('listRooms', undefined)).toThrow('listRooms: a list with a `limit` parameter must say how it pages');
  });

  it('refuses paging on an operation that is not a list', () => {
    expect(check('getRoom', { style: 'offset', items: 'items' })).toThrow(
      'getRoom: only a GET list with a `limit` query parameter pages',
    );
  });

  it('refuses an unknown style, an unknown key, a missing or wrong parameter, items or field', () => {
    expect(check('listRooms', { style: 'pages', items: 'items' })).toThrow(
      'style must be one of page, offset, cursor, keyset',
    );
    expect(check('listRooms', { style: 'offset', items: 'items', next: 'x' })).toThrow('offset paging has no `next`');
    expect(check('listRooms', { style: 'offset', items: 'rooms' })).toThrow(
      'the 200 answer has no required array `rooms`',
    );
    expect(check('listRooms', { style: 'page', items: 'items' })).toThrow('needs the query parameter `page`');
    expect(check('getCsQueue', { style: 'cursor', items: 'queue', param: 'cursor', next: 'cursorNext' })).toThrow(
      'no string field `cursorNext`',
    );
    expect(check('listRoomEvents', { style: 'keyset', items: 'items', param: 'afterSeq', from: 'sequence' })).toThrow(
      'the items have no field `sequence`',
    );
    expect(check('listRoomEvents', { style: 'keyset', items: 'items', param: 'after', from: 'seq' })).toThrow(
      'needs the query parameter `after`',
    );
    expect(
      check('listCommunityMessages', {
        style: 'keyset',
        items: 'messages',
        param: 'before',
        from: 'createdAt',
        more: 'messages',
      }),
    ).toThrow('no boolean field `messages`');
    expect(check('listRoomEvents', { style: 'keyset', items: 'items', param: 'afterSeq' })).toThrow(
      'keyset paging needs `from`',
    );
  });
});
