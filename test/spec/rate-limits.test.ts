// Every write that costs money or makes the server call out declares a rate limit (`x-rate-limits`, applied
// by the pipeline, answered 429 with Retry-After) and names it, with its default, in its description; every
// rate-limited operation documents its 429. .spectral.yaml turns the OWASP ruleset's rate-limit rules off in favour
// of this check.
import { describe, expect, it } from 'vitest';
import { byId, operations } from '../helpers/contract.js';

/** The writes that cost money or an outbound call, and why. A new one joins this list in the same change. */
const COSTLY: Record<string, string> = {
  createLounge: 'its voice cloning downloads samples from a URL the caller gives',
  joinCommunity: 'charges the wallet',
  subscribeToLounge: 'charges the wallet',
  chatWithCommunityAgent: 'charges the wallet and calls the agent provider',
  chatInConversation: 'calls the agent provider (and, in a lounge, the speech provider)',
  postRoomMessage: 'a mention starts an agent run, which calls the agent provider',
};

interface Limit {
  name: string;
  key: string;
  windowSeconds: number;
  counts: string;
}
const limitsOf = (op: Record<string, any>) => (op['x-rate-limits'] ?? []) as Limit[];

describe('rate limits in the contract', () => {
  it.each(Object.entries(COSTLY))('%s (%s) counts every request against a limit', (operationId) => {
    expect(limitsOf(byId(operationId).op).filter((l) => l.counts === 'all')).not.toEqual([]);
  });

  it('covers every operation that can charge a wallet (documents 402)', () => {
    const charging = operations.filter((o) => o.op.responses?.['402']).map((o) => o.op.operationId as string);
    expect(charging.filter((id) => !(id in COSTLY))).toEqual([]);
  });

  it('documents 429 on every rate-limited operation', () => {
    const undocumented = operations
      .filter(({ op }) => limitsOf(op).length > 0 && !op.responses['429'])
      .map(({ op }) => op.operationId as string);
    expect(undocumented).toEqual([]);
  });

  it.each(Object.keys(COSTLY))('%s names its limit in its description, where its default is stated', (operationId) => {
    const { op } = byId(operationId);
    for (const limit of limitsOf(op)) expect(op.description).toContain(`\`${limit.name}\``);
  });

  it('gives a limit shared by several operations one window', () => {
    const windows = new Map<string, Set<number>>();
    for (const { op } of operations)
      for (const l of limitsOf(op)) windows.set(l.name, (windows.get(l.name) ?? new Set()).add(l.windowSeconds));
    expect([...windows].filter(([, w]) => w.size > 1).map(([name]) => name)).toEqual([]);
  });
});
