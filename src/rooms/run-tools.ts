// The tools an agent gets in a room run. Each reads only the room the run belongs to (every query is scoped
// by its id), never writes, and returns at most MAX_TOOL_OUTPUT characters of text for the model.
import type { Knex } from 'knex';
import type { AgentToolDefinition } from '../ai/agent-provider.js';
import { messagesContaining, recentMessages, roomRules, type MessageLine } from './queries.js';

export const MAX_TOOL_OUTPUT = 4000;
const MAX_MESSAGES = 20;
const MAX_QUERY = 100;

/** A tool call the tool refuses (bad arguments, unknown tool): the call ends `tool.failed`. */
export class ToolError extends Error {}

export const ROOM_TOOLS: AgentToolDefinition[] = [
  {
    name: 'read_recent_messages',
    description: "Reads the room's most recent messages, oldest first, with their authors and seq numbers.",
    parameters: {
      type: 'object',
      properties: {
        limit: {
          type: 'integer',
          minimum: 1,
          maximum: MAX_MESSAGES,
          description: `How many messages (default 10, at most ${MAX_MESSAGES}).`,
        },
      },
      additionalProperties: false,
    },
  },
  {
    name: 'search_messages',
    description: "Finds the room's messages containing a word or phrase (case-insensitive), newest first, at most 10.",
    parameters: {
      type: 'object',
      properties: {
        query: { type: 'string', minLength: 1, maxLength: MAX_QUERY, description: 'The text to look for.' },
      },
      required: ['query'],
      additionalProperties: false,
    },
  },
  {
    name: 'read_rules',
    description: "Reads the room's rules document (its latest version), if the room has one.",
    parameters: { type: 'object', properties: {}, additionalProperties: false },
  },
];

const lines = (messages: MessageLine[]) =>
  messages.map((m) => `[${m.seq}] ${m.actorDisplayName}: ${m.body}`).join('\n');

export const clipOutput = (text: string) =>
  text.length <= MAX_TOOL_OUTPUT ? text : `${text.slice(0, MAX_TOOL_OUTPUT - 14)}… (truncated)`;

function parseArguments(raw: string): Record<string, unknown> {
  let args: unknown;
  try {
    args = JSON.parse(raw || '{}');
  } catch {
    throw new ToolError('the arguments are not JSON');
  }
  if (typeof args !== 'object' || args === null || Array.isArray(args))
    throw new ToolError('the arguments must be a JSON object');
  return args as Record<string, unknown>;
}

/** Runs one tool over room `roomId`; throws ToolError when the call itself is wrong. */
export async function runRoomTool(db: Knex, roomId: string, name: string, rawArguments: string): Promise<string> {
  const args = parseArguments(rawArguments);
  switch (name) {
    case 'read_recent_messages': {
      const limit = args.limit ?? 10;
      if (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > MAX_MESSAGES)
        throw new ToolError(`limit must be an integer from 1 to ${MAX_MESSAGES}`);
      const recent = await recentMessages(db, roomId, limit as number);
      return clipOutput(recent.length ? lines(recent.reverse()) : 'The room has no messages.');
    }
    case 'search_messages': {
      const query = args.query;
      if (typeof query !== 'string' || !query.trim() || query.length > MAX_QUERY)
        throw new ToolError(`query must be a non-empty string of at most ${MAX_QUERY} characters`);
      const found = await messagesContaining(db, roomId, query.trim(), 10);
      return clipOutput(found.length ? lines(found) : `No message contains "${query.trim()}".`);
    }
    case 'read_rules': {
      const rules = await roomRules(db, roomId);
      return clipOutput(
        rules ? `${rules.displayName} (version ${rules.version}):\n${rules.body}` : 'This room has no rules document.',
      );
    }
    default:
      throw new ToolError(`there is no tool named "${name}"`);
  }
}
