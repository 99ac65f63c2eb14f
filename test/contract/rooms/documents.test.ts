// Rules and agent-role documents: create (version 1), list at the latest version, get with every version,
// add versions (creator only, numbered without gaps even concurrently).
import { describe, expect, it } from 'vitest';
import {
  createAgentRoleDocument,
  createDocumentVersion,
  createRulesDocument,
  getDocument,
  listAgentRoles,
  listRulesDocuments,
} from '@platform/client';
import { useTestServer } from '../../helpers/server.js';
import { newUser } from '../../helpers/users.js';
import { UNKNOWN } from '../../helpers/rooms.js';

useTestServer();

describe('documents', () => {
  it('creates rules and agent-role documents (201, version 1), lists each kind at its latest version by name', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const { data: rules, response } = await createRulesDocument({
      body: { displayName: 'team norms', description: 'Ground rules', body: '# Be kind' },
      ...alice.as,
    });
    expect(response?.status).toBe(201);
    expect(rules).toMatchObject({
      kind: 'rules',
      displayName: 'team norms',
      description: 'Ground rules',
      latestVersion: { version: 1, body: '# Be kind', displayName: 'team norms', documentId: rules!.id },
    });
    const role = (
      await createAgentRoleDocument({ body: { displayName: 'Analyst', body: 'Cite sources.' }, ...alice.as })
    ).data!;
    expect(role).toMatchObject({ kind: 'agent_role', description: null });
    await createRulesDocument({ body: { displayName: 'Access', body: 'x' }, ...bob.as });
    const v2 = await createDocumentVersion({
      path: { document_id: rules!.id },
      body: { body: '# Be kind, always', displayName: 'Team norms' },
      ...alice.as,
    });
    expect(v2.response?.status).toBe(201);
    expect(v2.data).toMatchObject({ version: 2, displayName: 'Team norms', documentId: rules!.id });
    const listed = (await listRulesDocuments({ ...bob.as })).data!.items;
    const mine = listed.find((d) => d.documentId === rules!.id);
    expect(mine).toEqual({
      displayName: 'Team norms',
      documentId: rules!.id,
      documentVersionId: v2.data!.id,
      version: 2,
    });
    const names = listed.map((d) => d.displayName.toLowerCase());
    expect(names).toEqual([...names].sort());
    expect(listed.some((d) => d.documentId === role.id)).toBe(false);
    expect((await listAgentRoles({ ...bob.as })).data!.items.map((d) => d.documentId)).toContain(role.id);
    const detail = (await getDocument({ path: { document_id: rules!.id }, ...bob.as })).data!;
    expect(detail.versions.map((v) => v.version)).toEqual([2, 1]);
    expect(detail.latestVersion).toEqual(detail.versions[0]);
    expect(detail.versions[1]!.body).toBe('# Be kind');
    expect(detail).toMatchObject({ displayName: 'Team norms', updatedAt: v2.data!.createdAt });
    // createdAt is when the document and its version 1 were created, and stays.
    expect(rules!.createdAt).toBe(rules!.latestVersion.createdAt);
    expect(rules!.updatedAt).toBe(rules!.createdAt);
    expect(detail.createdAt).toBe(detail.versions[1]!.createdAt);
  });

  it('only the creator adds versions (403 NOT_DOCUMENT_CREATOR); concurrent additions are numbered without gaps', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const doc = (await createAgentRoleDocument({ body: { displayName: 'Role', body: 'v1' }, ...alice.as })).data!;
    const refused = await createDocumentVersion({
      path: { document_id: doc.id },
      body: { body: 'mine now' },
      ...bob.as,
    });
    expect(refused.response?.status).toBe(403);
    expect(refused.error).toMatchObject({ code: 'NOT_DOCUMENT_CREATOR' });
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        createDocumentVersion({ path: { document_id: doc.id }, body: { body: `v${i + 2}` }, ...alice.as }),
      ),
    );
    expect(results.map((r) => r.data!.version).sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    expect((await getDocument({ path: { document_id: doc.id }, ...alice.as })).data!.latestVersion.version).toBe(9);
  });

  it('404 unknown ids, 422 bad input, 401 without a caller, 413 too large', async () => {
    const alice = await newUser('Alice');
    expect((await getDocument({ path: { document_id: UNKNOWN }, ...alice.as })).response?.status).toBe(404);
    expect(
      (await createDocumentVersion({ path: { document_id: UNKNOWN }, body: { body: 'x' }, ...alice.as })).response
        ?.status,
    ).toBe(404);
    expect((await getDocument({ path: { document_id: 'x' }, ...alice.as })).response?.status).toBe(422);
    for (const body of [
      { displayName: '', body: 'x' },
      { displayName: 'x', body: '' },
      { displayName: 'x'.repeat(201), body: 'x' },
      { displayName: 'x', body: 'x'.repeat(50001) },
      { body: 'x' },
      { displayName: 'x', body: 'x', kind: 'rules' },
    ]) {
      expect(
        (await createRulesDocument({ body: body as never, ...alice.as })).response?.status,
        JSON.stringify(body).slice(0, 50),
      ).toBe(422);
      expect((await createAgentRoleDocument({ body: body as never, ...alice.as })).response?.status).toBe(422);
    }
    const doc = (await createRulesDocument({ body: { displayName: 'R', body: 'x' }, ...alice.as })).data!;
    for (const body of [{ body: '' }, { body: 'x', displayName: '' }, {}]) {
      expect(
        (await createDocumentVersion({ path: { document_id: doc.id }, body: body as never, ...alice.as })).response
          ?.status,
      ).toBe(422);
    }
    expect((await getDocument({ path: { document_id: doc.id } })).response?.status).toBe(401);
    expect((await listRulesDocuments()).response?.status).toBe(401);
    expect((await listAgentRoles()).response?.status).toBe(401);
    expect((await listRulesDocuments({ query: { x: 1 } as never, ...alice.as })).response?.status).toBe(422);
    expect((await listAgentRoles({ query: { x: 1 } as never, ...alice.as })).response?.status).toBe(422);
    expect((await createRulesDocument({ body: { displayName: 'x', body: 'x' } })).response?.status).toBe(401);
    expect((await createAgentRoleDocument({ body: { displayName: 'x', body: 'x' } })).response?.status).toBe(401);
    expect((await createDocumentVersion({ path: { document_id: doc.id }, body: { body: 'x' } })).response?.status).toBe(
      401,
    );
    const big = 'x'.repeat(1_100_000);
    expect((await createRulesDocument({ body: { displayName: 'x', body: big }, ...alice.as })).response?.status).toBe(
      413,
    );
    expect(
      (await createAgentRoleDocument({ body: { displayName: 'x', body: big }, ...alice.as })).response?.status,
    ).toBe(413);
    expect(
      (await createDocumentVersion({ path: { document_id: doc.id }, body: { body: big }, ...alice.as })).response
        ?.status,
    ).toBe(413);
  });
});
