// Funding wallets for tests, through the admin credit operation.
import { randomUUID } from 'node:crypto';
import { creditWallet, getWallet } from '@platform/client';
import { newAdmin, type TestUser } from './users.js';

let admin: Promise<TestUser> | undefined;

export async function fund(user: TestUser, amount: number): Promise<void> {
  const { response, error } = await creditWallet({ path: { user_id: user.user.id }, body: { amount, reason: 'test funds', idempotencyKey: randomUUID() }, ...(await (admin ??= newAdmin())).as });
  if (response.status !== 201) throw new Error(`funding failed: ${JSON.stringify(error)}`);
}

export const balanceOf = async (user: TestUser) => (await getWallet(user.as)).data!.balance;
