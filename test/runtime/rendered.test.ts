// Statements compiled once (src/platform/rendered.ts), on PGlite and on PostgreSQL: a rendered body is the JSON
// the hand-written knex read maps its rows to; a statement given a transaction runs on that transaction's
// connection; on PostgreSQL it is prepared there under its name. A page's statement is made per page size.
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/platform/clock.js';
import { EventLog } from '../../src/rooms/event-log.js';
import { currentParticipants } from '../../src/rooms/queries.js';
import { toMessage } from '../../src/rooms/wire.js';
import { spaceDetail } from '../../src/spaces/index.js';
import { contractBody } from '../../src/platform/contract-body.js';
import { parseRendered, renderOne, sizedStatement, statement } from '../../src/platform/rendered.js';
import { doc } from '../helpers/contract.js';
import { useServices } from '../helpers/services.js';

const ctx = useServices();

const COUNT_NAMED = statement(
  'test_spaces_named',
  `select json_build_object('n', count(*))::text from spaces s where s.name = $1::text`,
);

describe('rendered statements', () => {
  it('render the JSON the knex read maps to: timestamps, nulls, arrays, jsonb, nested rows', async () => {
    const space = parseRendered(
      await ctx.services.spaces.create(
        ctx.alice,
        contractBody('createSpace', {
          name: 'Rendered "quoted" \u2028',
          tags: ['a', 'b'],
          definition: { seats: 4, ratio: 1.5, nested: [1, null, { x: 'y' }] },
        }),
      ),
    );
    await ctx.services.spaces.createSession(ctx.alice, space.id);
    const knexRead = await spaceDetail(ctx.db.database.knex, ctx.alice.user.id, space.id);
    const rendered = parseRendered(await ctx.services.spaces.get(ctx.alice, space.id));
    expect(rendered).toEqual(JSON.parse(JSON.stringify(knexRead)));
    // The insert renders its own answer: exactly the contract's SpaceRow fields, each with the value the knex
    // read maps the stored row to.
    expect(Object.keys(space).sort()).toEqual(Object.keys(doc.components.schemas.SpaceRow.properties).sort());
    const asRead = JSON.parse(JSON.stringify(knexRead)) as Record<string, unknown>;
    expect(space).toEqual(Object.fromEntries(Object.keys(space).map((key) => [key, asRead[key]])));
    expect(rendered.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(rendered.sessions).toHaveLength(1);
  });

  it("render a posted message as the knex read of its row maps it (toMessage): the contract's RoomMessage", async () => {
    const room = await ctx.services.rooms.rooms.create(ctx.alice, { name: 'Rendered room' });
    const body = `@${ctx.alice.user.name} "quoted" \u2028 ✓`;
    const posted = parseRendered(await ctx.services.rooms.messages.post(ctx.alice, room.id, body));
    expect(Object.keys(posted).sort()).toEqual(Object.keys(doc.components.schemas.RoomMessage.properties).sort());
    const [row] = await ctx.db.database.knex('room_messages').select('*').where('id', posted.id);
    expect(posted).toEqual(JSON.parse(JSON.stringify(toMessage(row))));
    expect(posted.body).toBe(body);
    expect(posted.refs).toHaveLength(1);
    expect(posted.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    // The post's other statements compiled once name every column: their rows are knex's `select *` rows.
    const knex = ctx.db.database.knex;
    const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
    const current = await currentParticipants(knex, room.id);
    expect(current.length).toBeGreaterThan(0);
    expect([...current].sort(byId)).toEqual(
      (await knex('room_participants').select('*').where('roomId', room.id).whereNull('leftAt')).sort(byId),
    );
    const appended = await knex.transaction(async (trx) => {
      const event = await new EventLog(systemClock).append(trx, room.id, {
        type: 'room.rules_changed',
        actor: { kind: 'system', membershipId: null, displayName: 'System', roleDocumentVersionId: null },
        subject: { kind: 'room', id: room.id },
        payload: { nested: [1, null, { x: 'y' }] },
        fallbackText: 'Appended by the test',
      });
      return { event, row: await trx('room_events').select('*').where('id', event.id).first() };
    });
    expect(appended.event).toEqual(appended.row);
  });

  it("move money with compiled statements whose rows are knex's: a ledger entry as `select *` reads it", async () => {
    const knex = ctx.db.database.knex;
    const userId = ctx.alice.user.id;
    const [credit, charge] = await knex.transaction(async (trx) => [
      ...(await ctx.services.wallet.apply(
        [{ userId, amount: 250, kind: 'credit', description: 'Compiled credit' }],
        trx,
      )),
      ...(await ctx.services.wallet.apply(
        [
          {
            userId,
            amount: -100,
            kind: 'join_fee',
            description: 'Compiled charge',
            reference: { type: 'community', id: userId },
          },
        ],
        trx,
      )),
    ]);
    for (const entry of [credit!, charge!])
      expect(entry).toEqual(await knex('ledger_entries').select('*').where('id', entry.id).first());
    expect(Number(charge!.balanceAfterMinor)).toBe(Number(credit!.balanceAfterMinor) - 100);
  });

  it("run on a transaction's connection, and are prepared there by name on PostgreSQL", async () => {
    const knex = ctx.db.database.knex;
    await knex
      .transaction(async (trx) => {
        await ctx.services.spaces.create(ctx.alice, contractBody('createSpace', { name: 'Only in trx' }), trx);
        expect(parseRendered((await renderOne<{ n: number }>(trx, COUNT_NAMED, ['Only in trx']))!)).toEqual({ n: 1 });
        // PGlite has one connection, which the transaction holds: another connection's view is PostgreSQL's.
        if (ctx.db.database.kind === 'postgres') {
          expect(parseRendered((await renderOne<{ n: number }>(knex, COUNT_NAMED, ['Only in trx']))!)).toEqual({
            n: 0,
          });
          const { rows } = await trx.raw('select name from pg_prepared_statements');
          expect((rows as Array<{ name: string }>).map((r) => r.name)).toContain(COUNT_NAMED.name);
        }
        throw new Error('roll back');
      })
      .catch((error: Error) => expect(error.message).toBe('roll back'));
    expect(parseRendered((await renderOne<{ n: number }>(knex, COUNT_NAMED, ['Only in trx']))!)).toEqual({ n: 0 });
  });

  it('make a page statement for the smallest page size that holds the limit, once per size', () => {
    const sized = sizedStatement('test_sized', (size) => `select ${size}::int as size`);
    expect(sized(1)).toBe(sized(10));
    expect([sized(10), sized(11), sized(50), sized(200)].map((s) => s.name)).toEqual([
      'test_sized_10',
      'test_sized_20',
      'test_sized_50',
      'test_sized_200',
    ]);
    expect(() => sized(201)).toThrow(RangeError);
  });

  it('refuses a second statement under a name already taken by another text', () => {
    expect(() => statement(COUNT_NAMED.name, 'select 1')).toThrow(/two statements are named/);
    expect(statement(COUNT_NAMED.name, COUNT_NAMED.text).text).toBe(COUNT_NAMED.text);
  });
});
