// The database's event bus (NOTIFY / LISTEN on PGlite or PostgreSQL, whichever the suite runs on): channels,
// the "now listening" signal, and the room_events trigger: delivered at commit, in seq order, never for a
// rollback. (PostgreSQL's listening connection being cut and coming back: test/runtime/stream-instances.test.ts.)
import { describe, expect, it, vi } from 'vitest';
import { useServices } from '../helpers/services.js';

const ctx = useServices();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const unique = (name: string) => `${name}_${Math.random().toString(36).slice(2, 10)}`;

describe('the event bus', () => {
  it("tells a subscriber when it listens, then delivers its channel's messages only, until it unsubscribes", async () => {
    const bus = ctx.db.database.events;
    const [a, b] = [unique('bus_a'), unique('bus_b')];
    const gotA: Array<string | undefined> = [];
    const gotB: Array<string | undefined> = [];
    const stopA = bus.subscribe(a, (m) => gotA.push(m));
    bus.subscribe(b, (m) => gotB.push(m));
    await vi.waitFor(() => expect([gotA, gotB]).toEqual([[undefined], [undefined]]));
    await bus.publish(a, '1');
    await bus.publish(b, '2');
    await vi.waitFor(() => expect({ gotA, gotB }).toEqual({ gotA: [undefined, '1'], gotB: [undefined, '2'] }));
    stopA();
    await bus.publish(a, '3');
    await bus.publish(b, '4');
    await vi.waitFor(() => expect(gotB).toEqual([undefined, '2', '4']));
    expect(gotA).toEqual([undefined, '1']);
  });

  it('hears each room event at its commit, in seq order, and nothing of a rolled-back one', async () => {
    const room = await ctx.services.rooms.rooms.create(ctx.alice, { name: 'Notified' });
    const heard: string[] = [];
    let listening = false;
    ctx.db.database.events.subscribe('room_events', (m) => {
      if (m === undefined) listening = true;
      else if (m.startsWith(`${room.id}:`)) heard.push(m.slice(room.id.length + 1));
    });
    await vi.waitFor(() => expect(listening).toBe(true));

    await ctx.db.database.knex.transaction(async (trx) => {
      await ctx.services.rooms.messages.post(ctx.alice, room.id, 'first', trx);
      await ctx.services.rooms.messages.post(ctx.alice, room.id, 'second', trx);
      await sleep(100);
      expect(heard).toEqual([]); // not before the commit
    });
    await vi.waitFor(() => expect(heard).toEqual(['3', '4'])); // room.created 1, participant.joined 2
    await expect(
      ctx.db.database.knex.transaction(async (trx) => {
        await ctx.services.rooms.messages.post(ctx.alice, room.id, 'doomed', trx);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    await ctx.services.rooms.messages.post(ctx.alice, room.id, 'third');
    await vi.waitFor(() => expect(heard).toEqual(['3', '4', '5'])); // seq 5 handed out again after the rollback
    await sleep(100);
    expect(heard).toEqual(['3', '4', '5']);
  });
});
