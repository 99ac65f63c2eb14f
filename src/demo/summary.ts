// What demo mode prints once the server listens: who can sign in, with what, and the ids the samples use.
import { DEMO_CREDITS, DEMO_IDS, DEMO_PASSWORD, DEMO_USERS } from './fixtures.js';

export function demoSummary(baseUrl: string): string {
  const lines = [
    '',
    `Demo mode: NOT FOR PRODUCTION. Every account below has the password "${DEMO_PASSWORD}" and ${DEMO_CREDITS} credits to start with.`,
    `Docs (every sample runs against this server): ${baseUrl}/docs`,
    '',
    'Accounts (send the API key as the X-API-Key header):',
    ...Object.values(DEMO_USERS).map((u) => `  ${u.email.padEnd(18)} ${u.apiKey}  ${u.name}: ${u.about}`),
    '',
    'Ids:',
    ...Object.entries(DEMO_IDS).map(([name, id]) => `  ${name.padEnd(24)} ${id}`),
    '',
  ];
  return lines.join('\n');
}
