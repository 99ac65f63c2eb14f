// Which participants a message mentions (`@<displayName>`): read when a post queues agent runs.
import type { MessageRef, RoomParticipant } from './models.js';

const MAX_REFS = 100;
const WORD = /[\p{L}\p{N}_]/u;

/**
 * `@<displayName>` mentions of `participants`, in order of first mention, each once. At each `@` the longest
 * matching name wins (case-insensitive), and a name must end at a non-word character, so `@Al` does not
 * mention `Alice` and `@Alice` does not mention `Al`.
 */
export function resolveMentions(body: string, participants: RoomParticipant[]): MessageRef[] {
  const byLength = [...participants].sort((a, b) => b.displayName.length - a.displayName.length);
  const lower = body.toLowerCase();
  const refs: MessageRef[] = [];
  const seen = new Set<string>();
  for (let at = lower.indexOf('@'); at !== -1 && refs.length < MAX_REFS; at = lower.indexOf('@', at + 1)) {
    const match = byLength.find((p) => {
      const name = p.displayName.toLowerCase();
      if (!lower.startsWith(name, at + 1)) return false;
      const next = body.charAt(at + 1 + name.length);
      return next === '' || !WORD.test(next);
    });
    if (!match || seen.has(match.id)) continue;
    seen.add(match.id);
    refs.push({ displayName: match.displayName, targetId: match.id, targetKind: match.participantKind });
  }
  return refs;
}
