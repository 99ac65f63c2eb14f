// Agent calls, the money of `chatWithCommunityAgent`: every transition of a call happens here, each in one
// transaction that locks the call's row and checks it is still in progress, so a call ends exactly once.
//
//   open                      -> in_progress  the fee debited from the payer, the caller's message stored
//   in_progress --reply-->       settled      the reply stored and the creator paid, in one transaction
//   in_progress --no reply-->    refunded     the fee back to the payer: the agent failed, timed out or said
//                                             nothing (at any point), or the server stopped (INTERRUPTED)
//   in_progress --reaper-->      refunded     no heartbeat for `staleAfterMs`: its process died (INTERRUPTED)
//
// The instance running calls beats their heartbeat (one statement for all of them, on the database's clock,
// so instances' clocks need not agree); a beat that finds a call ended elsewhere aborts it. Any instance's
// reaper refunds the calls whose heartbeat stopped: within `staleAfterMs` x 1.25 of their process dying.
// Lock order, as in every money transaction: the call's row, then wallets, then the community's row.
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { ReplyFailure } from '../ai/reply-stream.js';
import type { Clock } from '../platform/clock.js';
import { failpoint } from '../platform/failpoints.js';
import { afterPlatformShare, type Minor } from '../platform/money.js';
import { NO_METRICS, type Recorder } from '../platform/metrics.js';
import { afterCommit, inTransaction, type Transaction } from '../platform/transactions.js';
import type { WalletService } from '../wallet/index.js';
import { beatCalls, callStatuses, insertCall, lockCall, refundCall, settleCall, staleCalls } from './queries.js';

export interface AgentCallOptions {
  heartbeatMs: number;
  /** Where ended calls are counted (settled, refunded, orphan_refunded); nothing when absent. */
  metrics?: Recorder;
  /** An in-progress call with no heartbeat for this long is refunded by any instance's reaper. */
  staleAfterMs: number;
  /** The platform's share of every fee, 0 to 1; the creator receives the rest. */
  platformFeeShare: number;
}

export interface NewCall {
  communityId: string;
  payerId: string;
  listingId: string;
  fee: Minor;
  /** The payer's ledger entry. */
  description: string;
}

/** The reason a call's work is aborted when the server stops. */
const STOPPING = new Error('the server is stopping');

export class AgentCalls {
  /** Calls this instance is running: their heartbeat, and how to stop them. */
  private readonly leases = new Map<string, AbortController>();
  private readonly tasks = new Set<Promise<void>>();
  private heartbeat: NodeJS.Timeout | undefined;
  private beating = false;
  private reaper: NodeJS.Timeout | undefined;
  private log: Logger | undefined;

  constructor(
    private readonly db: Knex,
    private readonly clock: Clock,
    private readonly wallet: WalletService,
    private readonly options: AgentCallOptions,
  ) {}

  /**
   * Opens a call in the caller's transaction: the fee debited (402 when not covered), then `post` stores the
   * caller's message (under the community's row lock, which comes after wallets), then the call's row.
   */
  async open(
    trx: Transaction,
    call: NewCall,
    post: () => Promise<string>,
  ): Promise<{ id: string; userMessageId: string }> {
    const id = randomUUID();
    if (call.fee > 0) {
      await this.wallet.apply(
        [
          {
            userId: call.payerId,
            amount: -call.fee,
            kind: 'agent_call_fee',
            description: call.description,
            reference: { type: 'agent_call', id },
          },
        ],
        trx,
      );
    }
    const userMessageId = await post();
    await insertCall(trx, {
      id,
      communityId: call.communityId,
      userId: call.payerId,
      listingId: call.listingId,
      feeMinor: call.fee,
      userMessageId,
      createdAt: this.clock.now(),
    });
    return { id, userMessageId };
  }

  /**
   * Runs `work` for an open call while this instance holds it: its heartbeat beats, and its signal aborts when
   * the call was ended elsewhere or the server stops (`stop`).
   */
  run(id: string, work: (signal: AbortSignal) => Promise<void>): void {
    const controller = new AbortController();
    this.leases.set(id, controller);
    this.heartbeat ??= setInterval(() => void this.beat(), this.options.heartbeatMs).unref();
    const task = work(controller.signal)
      .catch((error: unknown) => this.log?.error({ err: error, callId: id }, 'agent call failed unexpectedly'))
      .finally(() => {
        this.leases.delete(id);
        this.tasks.delete(task);
        if (this.leases.size === 0) {
          clearInterval(this.heartbeat);
          this.heartbeat = undefined;
        }
      });
    this.tasks.add(task);
  }

  /**
   * Settles an in-progress call in `trx`: the creator is paid, then `post` stores the reply. Returns the reply's
   * id, or undefined when the call had already ended (reaped): nothing is written then.
   */
  async settle(
    trx: Transaction,
    id: string,
    creatorId: string,
    post: () => Promise<string>,
  ): Promise<string | undefined> {
    const call = await lockCall(trx, id);
    if (call?.status !== 'in_progress') return undefined;
    const income = afterPlatformShare(Number(call.feeMinor), this.options.platformFeeShare);
    if (income > 0) {
      await this.wallet.apply(
        [
          {
            userId: creatorId,
            amount: income,
            kind: 'fee_income',
            description: `Agent call: ${call.listingName ?? 'an agent'} in ${call.communityName} (paid by a member)`,
            reference: { type: 'agent_call', id },
          },
        ],
        trx,
      );
    }
    const replyMessageId = await post();
    await settleCall(trx, id, replyMessageId, this.clock.now());
    afterCommit(trx, () => this.metrics.agentCall('settled'));
    await failpoint('agent-call.settle');
    return replyMessageId;
  }

  /** Refunds an in-progress call in full; false when it had already ended. `staleAfterMs`: only if its heartbeat is that old. */
  async refund(
    id: string,
    failure: ReplyFailure,
    options: { staleAfterMs?: number; skipLocked?: boolean } = {},
  ): Promise<boolean> {
    const refunded = await inTransaction(this.db, undefined, async (trx) => {
      const call = await lockCall(trx, id, options);
      if (call?.status !== 'in_progress') return false;
      const fee = Number(call.feeMinor);
      if (fee > 0) {
        const why =
          failure === 'INTERRUPTED' ? 'the server stopped before the reply was stored' : 'the agent did not answer';
        await this.wallet.apply(
          [
            {
              userId: call.userId,
              amount: fee,
              kind: 'refund',
              description: `Refund: ${call.listingName ?? 'an agent'} in ${call.communityName}: ${why}`,
              reference: { type: 'agent_call', id },
            },
          ],
          trx,
        );
      }
      await refundCall(trx, id, failure, this.clock.now());
      await failpoint('agent-call.refund');
      return true;
    });
    // Refunded by the reaper (`staleAfterMs`): its server died. Otherwise the agent failed, or this server stopped.
    if (refunded) this.metrics.agentCall(options.staleAfterMs !== undefined ? 'orphan_refunded' : 'refunded');
    return refunded;
  }

  /** Calls this instance runs now (a gauge read at scrape time). */
  get running(): number {
    return this.leases.size;
  }

  private get metrics(): Recorder {
    return this.options.metrics ?? NO_METRICS;
  }

  /**
   * Refunds every in-progress call whose heartbeat is older than `staleAfterMs` (its process died), a hundred at
   * a time; returns how many. Calls another transaction holds (being settled) are left to it.
   */
  async reap(staleAfterMs = this.options.staleAfterMs): Promise<number> {
    let reaped = 0;
    const skipped = new Set<string>();
    for (;;) {
      const stale = await staleCalls(this.db, staleAfterMs, [...skipped], 100);
      for (const id of stale) {
        // Not one this instance runs, and not one another transaction holds: those end by themselves.
        if (!this.leases.has(id) && (await this.refund(id, 'INTERRUPTED', { staleAfterMs, skipLocked: true })))
          reaped += 1;
        else skipped.add(id);
      }
      if (stale.length < 100) break;
    }
    this.metrics.reaperActions('agent_calls', reaped);
    if (reaped > 0) this.log?.warn({ reaped }, 'refunded agent calls whose server stopped');
    return reaped;
  }

  /** Reaps on a timer (every `staleAfterMs` / 4) until `stop`. */
  start(log?: Logger): void {
    this.log = log;
    this.reaper ??= setInterval(
      () => {
        this.reap().catch((error: unknown) => {
          this.metrics.backgroundJobFailed('agent_call_reaper');
          this.log?.warn({ err: error }, 'agent call reaper failed');
        });
      },
      Math.max(250, this.options.staleAfterMs / 4),
    ).unref();
  }

  /** Aborts every call this instance runs (each is refunded, INTERRUPTED) and waits for them; stops the reaper. */
  async stop(): Promise<void> {
    clearInterval(this.reaper);
    this.reaper = undefined;
    for (const controller of this.leases.values()) controller.abort(STOPPING);
    await Promise.all([...this.tasks]);
  }

  /** Waits until this instance runs no call, or `ms` passed (a graceful stop lets calls finish first). */
  async idle(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.tasks.size > 0 && Date.now() < deadline) {
      await Promise.race([
        Promise.all([...this.tasks]),
        new Promise((resolve) => setTimeout(resolve, Math.min(100, deadline - Date.now()))),
      ]);
    }
  }

  /**
   * Moves the heartbeat of every call this instance runs, and aborts those that ended elsewhere. A call being
   * settled or refunded right now (its row locked) is skipped, not waited for: one slow transaction must not
   * hold up the beat of every other call. One beat at a time.
   */
  private async beat(): Promise<void> {
    const ids = [...this.leases.keys()];
    if (ids.length === 0 || this.beating) return;
    this.beating = true;
    try {
      const current = await callStatuses(this.db, ids);
      const live = current.filter((c) => c.status === 'in_progress').map((c) => c.id);
      for (const id of ids)
        if (!live.includes(id)) this.leases.get(id)?.abort(new Error('the call was ended elsewhere'));
      if (live.length > 0) await beatCalls(this.db, live);
    } catch (error) {
      this.log?.warn({ err: error }, 'agent call heartbeat failed');
    } finally {
      this.beating = false;
    }
  }
}
