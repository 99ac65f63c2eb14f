// Inputs are taken exactly as sent or refused with a 4xx naming them (docs/guides/errors.md): plain decimal
// numbers in query and header parameters, no NUL or unpaired surrogates in strings, valid UTF-8, JSON bodies
// at most 64 levels deep, and the Rooms API's FastAPI shape for bodies that are not JSON.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSpace, listSpaces, signUp } from '@platform/client';
import { allEvents, newRoom } from '../../helpers/rooms.js';
import { useTestServer } from '../../helpers/server.js';
import { newUser } from '../../helpers/users.js';

const server = useTestServer();

const fieldsOf = (body: any) => (body.errors ?? []).map((e: { in: string; field: string }) => `${e.in}:${e.field}`);
const raw = (path: string, init: RequestInit = {}) => fetch(`${server.baseUrl}${path}`, init);
const json = (token: string, body: string) => ({
  method: 'POST',
  headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
  body,
});

describe('numbers in query parameters', () => {
  it.each([
    '0x10',
    '0b11',
    '1e3',
    '1e400',
    'Infinity',
    '-Infinity',
    'NaN',
    '+5',
    ' 5',
    '5 ',
    '5.0',
    '05x',
    '',
    '99999999999999999999',
  ])('refuses page=%j with 400 naming page, never coercing it', async (value) => {
    const res = await raw(`/api/spaces?page=${encodeURIComponent(value)}`);
    expect(res.status).toBe(400);
    expect(fieldsOf(await res.json())).toContain('query:page');
  });

  it('refuses a page past 1,000,000 and a limit past 50 (no offset overflow, no silent clamping)', async () => {
    for (const query of ['page=1000001', 'page=460000000000000000', 'limit=51', 'limit=1000000']) {
      const res = await raw(`/api/spaces?${query}`);
      expect(res.status, query).toBe(400);
    }
    const last = await listSpaces({ query: { page: 1_000_000, limit: 50 } });
    expect(last.data).toMatchObject({ spaces: [], page: 1_000_000 });
  });

  it('refuses a parameter given twice', async () => {
    const res = await raw('/api/spaces?page=1&page=2');
    expect(res.status).toBe(400);
    expect((await res.json()).errors).toEqual([
      expect.objectContaining({ in: 'query', field: 'page', message: 'must be given once, not 2 times' }),
    ]);
  });

  it('decodes percent-encoding in names and values, and + as a space', async () => {
    for (const query of ['%6Cimit=51', 'limit=5%31', 'l%69mit=%35%31']) {
      const res = await raw(`/api/spaces?${query}`);
      expect(res.status, query).toBe(400);
      expect(fieldsOf(await res.json()), query).toEqual(['query:limit']);
    }
    const alice = await newUser('Alice');
    await createSpace({ body: { name: 'Quasar plus+sign' }, ...alice.as });
    await createSpace({ body: { name: 'Quasar plus sign' }, ...alice.as });
    const names = async (query: string) =>
      ((await (await raw(`/api/spaces?${query}`)).json()).spaces as Array<{ name: string }>).map((s) => s.name);
    expect(await names('search=quasar+plus+sign')).toEqual(['Quasar plus sign']);
    expect(await names('search=quasar%20plus%20sign')).toEqual(['Quasar plus sign']);
    expect(await names('search=quasar%20plus%2Bsign')).toEqual(['Quasar plus+sign']);
  });

  it('refuses malformed percent-encoding and NUL in a query value, naming the parameter', async () => {
    for (const query of ['search=a%00b', 'search=%E0%A4', 'search=%ED%A0%80']) {
      const res = await raw(`/api/spaces?${query}`);
      expect(res.status, query).toBe(400);
      expect(fieldsOf(await res.json()), query).toContain('query:search');
    }
  });
});

describe('strings PostgreSQL cannot store', () => {
  it('refuses NUL in any body string with 400 naming the field, and creates nothing', async () => {
    const { response, error } = await signUp({
      body: { name: 'fuzz\u0000nul', email: 'nul@example.com', password: 'long enough' },
    });
    expect(response?.status).toBe(400);
    expect(fieldsOf(error)).toEqual(['body:name']);
    const again = await signUp({ body: { name: 'Fine', email: 'nul@example.com', password: 'long enough' } });
    expect(again.response?.status).toBe(201); // the refused request created no account
  });

  it('refuses unpaired surrogates in text fields and inside free-form JSON (definition), and NUL in field names', async () => {
    const alice = await newUser('Alice');
    const cases: Array<[string, string]> = [
      ['{"name":"fuzz\\ud800x"}', 'body:name'],
      ['{"name":"S","definition":{"note":"\\udc00"}}', 'body:definition.note'],
      ['{"name":"S","definition":{"deep":["ok","\\ud83d"]}}', 'body:definition.deep.1'],
      ['{"name":"S","definition":{"a\\u0000b":1}}', 'body:definition.a\\u0000b'],
    ];
    for (const [body, field] of cases) {
      const res = await raw('/api/spaces', json(alice.token, body));
      expect(res.status, body).toBe(400);
      expect(fieldsOf(await res.json()), body).toContain(field);
    }
    const paired = await createSpace({
      body: { name: 'Emoji \ud83d\ude00', definition: { note: '\ud83d\ude00' } },
      ...alice.as,
    });
    expect(paired.data).toMatchObject({ name: 'Emoji 😀', definition: { note: '😀' } });
  });

  it('refuses a body that is not valid UTF-8 instead of storing replacement characters', async () => {
    const alice = await newUser('Alice');
    const bytes = Buffer.concat([Buffer.from('{"name":"bad '), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    const res = await raw('/api/spaces', {
      method: 'POST',
      headers: { Authorization: `Bearer ${alice.token}`, 'Content-Type': 'application/json' },
      body: bytes,
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'INVALID_JSON', detail: 'The request body is not valid UTF-8.' });
  });
});

describe('the Rooms API', () => {
  it("answers a body that is not JSON with FastAPI's 422 json_invalid, as its operations document", async () => {
    const alice = await newUser('Alice');
    for (const init of [
      json(alice.token, '{"name": '),
      {
        ...json(alice.token, 'name=x'),
        headers: { Authorization: `Bearer ${alice.token}`, 'Content-Type': 'text/plain' },
      },
    ]) {
      const res = await raw('/api/v1/rooms', init);
      expect(res.status).toBe(422);
      expect(await res.json()).toEqual({ detail: [expect.objectContaining({ loc: ['body'], type: 'json_invalid' })] });
    }
  });

  it('reads an empty nullable query value (?state=) as no filter, and refuses a hex limit in its own shape', async () => {
    const alice = await newUser('Alice');
    const empty = await raw('/api/v1/rooms?state=', { headers: { Authorization: `Bearer ${alice.token}` } });
    expect(empty.status).not.toBe(422);
    const hex = await raw('/api/v1/rooms?limit=0x10', { headers: { Authorization: `Bearer ${alice.token}` } });
    expect(hex.status).toBe(422);
    expect(await hex.json()).toEqual({
      detail: [
        {
          loc: ['query', 'limit'],
          msg: 'Input should be a valid integer, unable to parse string as an integer',
          type: 'int_parsing',
        },
      ],
    });
  });
});

describe('how many invalid inputs are reported', () => {
  const unknown = (n: number) => Array.from({ length: n }, (_, i) => `unknown${i}=1`).join('&');

  it('lists at most 100 errors, the first found, and says how many there were', async () => {
    const res = await raw(`/api/spaces?${unknown(150)}`);
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.errors).toHaveLength(100);
    expect(body.errors[0]).toMatchObject({ in: 'query', field: 'unknown0' });
    expect(body.detail).toBe(
      'The request is invalid: see errors. Only the first 100 of 150 invalid inputs are listed.',
    );
    const few = await (await raw(`/api/spaces?${unknown(3)}`)).json();
    expect(few.errors).toHaveLength(3);
    expect(few.detail).toBe('The request is invalid: see errors.');
  });

  it('answers the Rooms API with at most 100 detail entries, each loc at most 65 long, a parameter named whole', async () => {
    const alice = await newUser('Alice');
    const auth = { Authorization: `Bearer ${alice.token}` };
    const many = await raw(`/api/v1/rooms?${unknown(150)}`, { headers: auth });
    expect(many.status).toBe(422);
    expect((await many.json()).detail).toHaveLength(100);

    const dotted = await raw('/api/v1/rooms?a.b.c=1', { headers: auth });
    expect(await dotted.json()).toEqual({
      detail: [expect.objectContaining({ loc: ['query', 'a.b.c'], type: 'extra_forbidden' })],
    });
    // A body field's dotted path becomes its steps: a name of 200 dots is cut to the longest location, 65.
    const name = Array.from({ length: 201 }, (_, i) => `k${i}`).join('.');
    const long = await raw('/api/v1/rooms', json(alice.token, JSON.stringify({ name: 'R', [name]: 1 })));
    expect(long.status).toBe(422);
    const [entry] = (await long.json()).detail;
    expect(entry.loc).toHaveLength(65);
    expect(entry.loc.slice(0, 3)).toEqual(['body', 'k0', 'k1']);
  });
});

describe('JSON nesting', () => {
  /** `prefix` + (levels) nested arrays + `suffix`; returns the text and where the 65th level of the body opens. */
  const nested = (prefix: string, levels: number, suffix: string, outer: number) => ({
    text: `${prefix}${'['.repeat(levels)}${']'.repeat(levels)}${suffix}`,
    opens65th: prefix.length + (64 - outer),
  });
  // The body object is level 1 and `definition` level 2: 62 arrays inside it make 64 levels.
  const space = (name: string, depth: number) => nested(`{"name":"${name}","definition":{"deep":`, depth - 2, '}}', 2);

  it('takes a body 64 levels deep and refuses 65 and 20,000 with 400 INVALID_JSON saying where, creating nothing', async () => {
    const alice = await newUser('Alice');
    const at64 = await raw('/api/spaces', json(alice.token, space('Deep 64', 64).text));
    expect(at64.status).toBe(201);
    let definition = (await at64.json()).definition.deep;
    for (let level = 3; level < 64; level++) definition = definition[0];
    expect(definition).toEqual([]); // stored and returned whole

    for (const depth of [65, 20_000]) {
      const body = space(`Deep ${depth}`, depth);
      const res = await raw('/api/spaces', json(alice.token, body.text));
      expect(res.status, `${depth}`).toBe(400);
      expect(await res.json()).toMatchObject({
        code: 'INVALID_JSON',
        detail: `The request body is nested more than 64 levels deep (arrays and objects): its 65th level opens at position ${body.opens65th}.`,
      });
    }
    const names = (await listSpaces({ query: { search: 'Deep', limit: 50 } })).data!.spaces.map((s) => s.name);
    expect(names).toEqual(['Deep 64']);
  });

  it('counts only arrays and objects, not brackets inside strings, and positions in characters', async () => {
    const alice = await newUser('Alice');
    const brackets = `{"name":"Brackets","definition":{"text":"${'[{'.repeat(100)}\\" ]"}}`;
    expect((await raw('/api/spaces', json(alice.token, brackets))).status).toBe(201);
    const body = nested('{"name":"Ünïcödé 😀","definition":{"deep":', 63, '}}', 2);
    const res = await raw('/api/spaces', json(alice.token, body.text));
    expect(res.status).toBe(400);
    expect((await res.json()).detail).toContain(`opens at position ${body.opens65th}.`);
  });

  it('answers the Rooms API in its own shape: 422 json_invalid at ["body", position], with no message and no idempotency key kept', async () => {
    const alice = await newUser('Alice');
    const room = await newRoom(alice);
    const key = randomUUID();
    const post = (text: string) => raw(`/api/v1/rooms/${room.id}/messages`, json(alice.token, text));
    // 64 levels are read: the unknown member is what is refused.
    const at64 = await post(nested(`{"body":"hi","idempotencyKey":"${key}","fuzz":`, 63, '}', 1).text);
    expect(at64.status).toBe(422);
    expect(await at64.json()).toEqual({
      detail: [{ loc: ['body', 'fuzz'], msg: 'Extra inputs are not permitted', type: 'extra_forbidden' }],
    });

    for (const depth of [65, 20_000]) {
      const body = nested(`{"body":"hi","idempotencyKey":"${key}","fuzz":`, depth - 1, '}', 1);
      const res = await post(body.text);
      expect(res.status, `${depth}`).toBe(422);
      expect(await res.json()).toEqual({
        detail: [
          {
            loc: ['body', body.opens65th],
            msg:
              'JSON decode error: The request body is nested more than 64 levels deep (arrays and objects): its 65th level opens at position ' +
              `${body.opens65th}.`,
            type: 'json_invalid',
          },
        ],
      });
    }
    const first = await post(JSON.stringify({ body: 'hi', idempotencyKey: key }));
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect((await allEvents(room.id, alice)).filter((e) => e.type === 'message.posted')).toHaveLength(1);
  });
});
