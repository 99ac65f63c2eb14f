// The shared homes outside any area that the domain areas build on: the local agent provider (the event bus
// has its own file, test/runtime/event-bus.test.ts, on the real database).
import { describe, expect, it } from 'vitest';
import { LocalAgentProvider } from '../../src/ai/agent-provider.js';

describe('LocalAgentProvider', () => {
  const request = {
    model: 'local',
    instructions: 'You are Ada, a patient maths tutor. Explain step by step.',
    messages: [{ role: 'user' as const, content: 'What is 2 + 2?' }],
  };
  const collect = async (iterable: AsyncIterable<string>) => {
    const out: string[] = [];
    for await (const d of iterable) out.push(d);
    return out;
  };

  it('streams a deterministic reply word by word, from the instructions and the last message', async () => {
    const deltas = await collect(new LocalAgentProvider().stream(request));
    expect(deltas.length).toBeGreaterThan(5);
    expect(deltas.join('')).toBe('You are Ada, a patient maths tutor. You said: "What is 2 + 2?".');
    expect(await collect(new LocalAgentProvider().stream(request))).toEqual(deltas);
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    const deltas: string[] = [];
    for await (const delta of new LocalAgentProvider().stream(request, controller.signal)) {
      deltas.push(delta);
      if (deltas.length === 2) controller.abort();
    }
    expect(deltas).toHaveLength(2);
  });
});
