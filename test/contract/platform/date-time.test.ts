// Date-time inputs (docs/guides/errors.md, "Inputs are taken exactly as sent"): every value the contract
// accepts works and means the instant it names, and every other is a 400 naming the field. Checked on both
// message cursors, over a history written at known instants around a leap second.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createCommunity,
  listCommunityMessages,
  listConversationMessages,
  sendCommunityMessage,
  sendConversationMessage,
  startOfficialChat,
} from '@platform/client';
import { ManualClock } from '../../../src/platform/clock.js';
import { useTestServer } from '../../helpers/server.js';
import { newUser, type TestUser } from '../../helpers/users.js';

const clock = new ManualClock(new Date('2026-12-31T00:00:00Z'));
const server = useTestServer({}, { clock });

/** The history: A and B in the last milliseconds of 2026, C and D in the first of 2027. */
const WRITTEN: Array<[string, string]> = [
  ['A', '2026-12-31T23:59:59.998Z'],
  ['B', '2026-12-31T23:59:59.999Z'],
  ['C', '2027-01-01T00:00:00.000Z'],
  ['D', '2027-01-01T00:00:00.001Z'],
];

/** Accepted values and the messages strictly before the instant each names, newest first. */
const ACCEPTED: Array<[string, string[]]> = [
  // A leap second comes after all of 23:59:59 and before the next minute, whatever its fraction and offset.
  ['2026-12-31T23:59:60Z', ['B', 'A']],
  ['2026-12-31T23:59:60.999999999Z', ['B', 'A']],
  ['2027-01-01T00:59:60+01:00', ['B', 'A']],
  ['2026-12-31T22:59:60-01:00', ['B', 'A']],
  // Fractions finer than microseconds round up: B (.999000) is before .9990000001, not before .9989999999.
  ['2026-12-31T23:59:59.999Z', ['A']],
  ['2026-12-31T23:59:59.9990000001Z', ['B', 'A']],
  ['2026-12-31T23:59:59.9989999999Z', ['A']],
  ['2027-01-01T00:00:00.0000001Z', ['C', 'B', 'A']],
  // Lower-case t and z; offsets to ±23:59 (PostgreSQL itself takes up to ±15:59).
  ['2027-01-01t00:00:00.001z', ['C', 'B', 'A']],
  ['2027-01-01T14:00:00+14:00', ['B', 'A']],
  ['2026-12-31T12:00:00.002-12:00', ['D', 'C', 'B', 'A']],
  ['2027-01-01T23:59:00+23:59', ['B', 'A']],
  ['2026-12-31T23:59:59.999-00:00', ['A']],
  // Years 0000 (1 BC, which PostgreSQL cannot read as written) to 9999, also moved into 10000 by an offset.
  ['0000-01-01T00:00:00Z', []],
  ['0000-01-01T00:00:00+01:00', []],
  ['9999-12-31T23:59:59.9999999Z', ['D', 'C', 'B', 'A']],
  ['9999-12-31T23:59:59-12:00', ['D', 'C', 'B', 'A']],
];

/** Values the contract refuses (400 naming `before`), sent percent-encoded. */
const REFUSED = [
  '2026-12-31 23:59:59Z',
  '2026-12-31\t23:59:59Z',
  '2027-01-01T00:00:00+0100',
  '2027-01-01T00:00:00+01',
  '2027-01-01T00:00:00',
  '+10000-01-01T00:00:00Z',
  '10000-01-01T00:00:00Z',
  '2026-12-31T24:59:60+01:00',
  '2026-12-31T23:59:60+01:00',
  '2026-06-30T12:00:60Z',
  '2026-02-29T00:00:00Z',
  '2026-01-01T24:00:00Z',
  '2026-13-01T00:00:00Z',
  '2026-12-31T23:59:59+24:00',
];

interface History {
  label: string;
  page(query: string): Promise<Response>;
}
const histories: History[] = [];

async function write(send: (content: string) => Promise<unknown>) {
  for (const [content, at] of WRITTEN) {
    clock.set(new Date(at));
    await send(content);
  }
  clock.set(new Date('2027-01-01T00:00:01Z'));
}

beforeAll(async () => {
  clock.set(new Date('2026-12-31T00:00:00Z'));
  const alice = await newUser('Alice');
  const customer: TestUser = await newUser('Customer');
  const club = (await createCommunity({ body: { name: 'Leap club' }, ...alice.as })).data!.id;
  const official = (
    await createCommunity({ body: { name: 'Leap support', type: 'official', csMode: 'human_only' }, ...alice.as })
  ).data!.id;
  const conversation = (await startOfficialChat({ path: { id: official }, ...customer.as })).data!.conversationId;
  await write((content) => sendCommunityMessage({ path: { id: club }, body: { content }, ...alice.as }));
  await write((content) =>
    sendConversationMessage({ path: { conversation_id: conversation }, body: { content }, ...customer.as }),
  );
  const get = (path: string, user: TestUser) => (query: string) =>
    fetch(`${server.baseUrl}${path}?limit=100&${query}`, { headers: { Authorization: `Bearer ${user.token}` } });
  histories.push(
    { label: 'listCommunityMessages', page: get(`/api/communities/${club}/messages`, alice) },
    { label: 'listConversationMessages', page: get(`/api/conversations/${conversation}/messages`, customer) },
  );
  // The same history through the client, so the contract's own types and validation see it.
  expect(
    (await listCommunityMessages({ path: { id: club }, query: { before: '2026-12-31T23:59:60Z' }, ...alice.as }))
      .response?.status,
  ).toBe(200);
  expect(
    (
      await listConversationMessages({
        path: { conversation_id: conversation },
        query: { before: '2026-12-31T23:59:60Z' },
        ...customer.as,
      })
    ).response?.status,
  ).toBe(200);
});

/** The page's messages that the test wrote (a conversation may open with a notice), newest first. */
const contents = async (res: Response) =>
  ((await res.json()).messages as Array<{ content: string }>)
    .map((m) => m.content)
    .filter((c) => WRITTEN.some(([w]) => w === c));

describe('date-time inputs', () => {
  it.each(ACCEPTED)('before=%s is the instant it names', async (before, expected) => {
    for (const history of histories) {
      const res = await history.page(`before=${encodeURIComponent(before)}`);
      expect(res.status, `${history.label} ${before}`).toBe(200);
      expect(await contents(res), `${history.label} ${before}`).toEqual(expected);
    }
  });

  it.each(REFUSED)('before=%j is a 400 naming before', async (before) => {
    for (const history of histories) {
      const res = await history.page(`before=${encodeURIComponent(before)}`);
      expect(res.status, `${history.label} ${before}`).toBe(400);
      expect((await res.json()).errors, `${history.label} ${before}`).toEqual([
        { in: 'query', field: 'before', message: 'must be an RFC 3339 date-time' },
      ]);
    }
  });

  it('reads an unencoded + as a space, as query strings do: refused, while %2B works', async () => {
    for (const history of histories) {
      expect((await history.page('before=2027-01-01T01:00:00+01:00')).status, history.label).toBe(400);
      expect(await contents(await history.page('before=2027-01-01T01:00:00%2B01:00')), history.label).toEqual([
        'B',
        'A',
      ]);
    }
  });
});
