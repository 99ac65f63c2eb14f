// Funding wallets for tests, through the admin credit operation.
import { randomUUID } from 'node:crypto';
import { client, creditWallet, getWallet } from '@platform/client';
import { newAdmin, type TestUser } from './users.js';

/** One admin session per server (by base URL), signed in once. */
const admins = new Map<string, Promise<TestUser>>();

/** Credits `amount` to the user, as an admin of the user's server. */
export async function fund(user: TestUser, amount: number): Promise<void> {
  const server = (user.as.client ?? client).getConfig().baseUrl ?? '';
  if (!admins.has(server)) admins.set(server, newAdmin({ client: user.as.client }));
  const admin = await admins.get(server)!;
  const { response, error } = await creditWallet({
    path: { user_id: user.user.id },
    body: { amount, reason: 'test funds', idempotencyKey: randomUUID() },
    ...admin.as,
  });
  if (response?.status !== 201) throw new Error(`funding failed: ${JSON.stringify(error)}`);
}

export const balanceOf = async (user: TestUser) => (await getWallet(user.as)).data!.balance;
