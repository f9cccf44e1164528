import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  claimCredits,
  completeSends,
  type Database,
  discardUnsentAttempts,
  type FinalMessageStatus,
  type HeldCredit,
  type LeasedMessage,
  recordAttempts,
  type SendLease,
  type SendSettlement,
} from '@minapush/db';
import type { TokenService } from '@minapush/tokens';
import type { QuotaWindow } from '@minapush/wechat';
import { callWechat, type SendingClient } from './call-wechat.js';
import { createLeaseGuard } from './lease-guard.js';
import type { SendGate, SendLane } from './send-gate.js';
import {
  decideAnswer,
  decideNoCredit,
  decideStart,
  decideUnsent,
  type RunStop,
  type SendAnswer,
  type SendDecision,
  type UnsentReason,
} from './send-policy.js';
import { settleAnswer, settleStart } from './settlements.js';
import type { UserLocks } from './user-locks.js';

/** Bounds the credit-after-dead-credit and stale-token rounds of one run; the next run goes on. */
const MAX_PASSES = 20;
/** Settlements written together; also what a crash can leave unwritten (attempts say the rest). */
const FLUSH_EVERY = 64;
/**
 * The waits of a run for a user busy with another send (its lock held elsewhere, or WeChat's
 * 43108), one per round: a call is answered within a few hundred milliseconds, so a few short
 * rounds almost always find the user free; after the last one the message goes back to `queued`
 * and its job runs again shortly, neither counting as a failed attempt.
 */
export const USER_BUSY_WAITS_MS = [50, 100, 200, 400, 800] as const;
/** How soon a job whose messages found their users busy runs again. */
export const USER_BUSY_RETRY_MS = 1_000;

/** What the send path needs, built once per process (see dispatcher.ts). */
export interface SendResources {
  db: Database;
  wechat: SendingClient;
  tokens: Pick<TokenService, 'getToken' | 'refreshTokenIfStale'>;
  gate: SendGate;
  /** pauses an app's sending everywhere: gate, both lanes' queues, metric and log */
  pauseApp: (appId: string, untilMs: number, window: QuotaWindow) => Promise<void>;
  /** one call to a user at a time, across runs and processes */
  userLocks: UserLocks;
  /**
   * WeChat banned the app's sending (43107, its `errmsg`): pauses the app's running broadcasts,
   * alerts (log at error, metric)
   */
  sendingBanned: (appId: string, errmsg: string) => Promise<void>;
  /** told of every answer WeChat gave a call (metrics) */
  observeAnswer?: (appId: string, answer: SendAnswer) => void;
  settings: {
    /** this process, in the leases it takes */
    owner: string;
    leaseMs: number;
    /** credits expiring sooner than this are not used */
    creditExpiryMarginMs: number;
    /** the WeChat client's timeout: a lease with less left is not trusted for a call */
    callTimeoutMs: number;
  };
  now: () => number;
}

/** Lets a broadcast's batch stop early and count template-level failures. */
export interface RunControl {
  /** a reason to stop calling now, if any */
  stopReason(): RunStop | undefined;
  /** told of every final decision, in the order the answers came */
  recordFinish(decision: Extract<SendDecision, { type: 'finish' }>): Promise<void>;
}

export interface RunOptions {
  lane: SendLane;
  /** the job's last attempt: what would be retried later is settled for good now */
  lastAttempt: boolean;
  /** WeChat calls in flight at once */
  concurrency: number;
  /** aborted when the process shuts down: the run stops calling and gives its messages back */
  signal?: AbortSignal;
  control?: RunControl;
  /** called after each write of settlements, with the messages settled so far */
  onProgress?: (settled: number, of: number) => Promise<void> | void;
}

export interface RunResult {
  /**
   * messages that reached each final status in this run; a sent one with the real time (ms) from
   * its creation (its enqueue) to its outcome
   */
  finished: Array<{ status: FinalMessageStatus; errcode?: number | undefined; latencyMs?: number }>;
  /** messages given back for a later attempt of the job (WeChat unavailable, reply lost, no token) */
  retryLater: number;
  /**
   * messages given back, holding their credits, because their users stayed busy with other sends:
   * the job runs again shortly, without counting an attempt
   */
  userBusy?: number;
  /** the app is paused by WeChat's quota until then (`window` when this run met the quota itself) */
  paused?: { untilMs: number; window?: QuotaWindow };
  /** why the run stopped calling early, if it did */
  stopped?: RunStop;
  /**
   * quiet hours hold the job until then (ms, on the dispatcher's clock): it took nothing, or gave
   * back what it had not sent when they began
   */
  heldUntilMs?: number;
  /** messages another run took over (this one lost its lease) */
  lost: number;
}

interface Sending {
  message: LeasedMessage;
  credit: HeldCredit;
  /** an earlier call with this credit got no answer */
  mayHaveSent: boolean;
  /** an earlier call with this credit got no reply (so its use may be gone) */
  creditUsed: boolean;
  staleRetries: number;
  /** the errcode that killed the previous credit, for a message that takes the next one */
  deadCreditErrcode?: number;
  /** the attempt the lease already recorded for this call (single messages) */
  attemptId?: bigint;
  /** short waits this message has had for its busy user */
  busyRounds?: number;
}

/**
 * Sends the messages of one lease: the single-message job's and the batch job's path alike. Every
 * decision comes from send-policy.ts; this function only carries them out. Attempts are recorded
 * in bulk ahead of the calls, the calls go out concurrently (bounded) under the app's rate, only
 * while the lease is certainly held, and their outcomes are written back in bulk.
 */
export async function sendLeased(
  r: SendResources,
  lease: SendLease,
  options: RunOptions,
): Promise<RunResult> {
  const result: RunResult = { finished: [], retryLater: 0, lost: 0 };
  const [first] = lease.messages;
  if (!first) return result;
  const appId = first.appId;
  const now = () => new Date(r.now());
  const guard = createLeaseGuard(
    { db: r.db, leaseMs: r.settings.leaseMs, callTimeoutMs: r.settings.callTimeoutMs },
    lease,
  );

  // Settlements are buffered and written FLUSH_EVERY at a time, one write in flight at once.
  let buffer: SendSettlement[] = [];
  let writing: Promise<void> = Promise.resolve();
  let settled = 0;
  const flush = async () => {
    const batch = buffer;
    buffer = [];
    writing = writing.then(async () => {
      if (batch.length === 0) return;
      await completeSends(r.db, lease.token, batch);
      settled += batch.filter((s) => s.status !== 'sending').length;
      await options.onProgress?.(settled, lease.messages.length);
    });
    await writing;
  };
  // a message's enqueue, for the send latency (real time: the clock of decisions may be a test's)
  const createdAtMs = new Map(lease.messages.map((message) => [message.id, message.createdAt.getTime()]));
  const settle = (settlement: SendSettlement) => {
    if (settlement.status !== 'sending') guard.release(settlement.messageId);
    if (settlement.status === 'sent') {
      const latencyMs = Date.now() - (createdAtMs.get(settlement.messageId) ?? Date.now());
      result.finished.push({ status: 'sent', errcode: settlement.errcode, latencyMs });
    } else if (settlement.status !== 'sending' && settlement.status !== 'queued') {
      result.finished.push({ status: settlement.status as FinalMessageStatus, errcode: settlement.errcode });
    }
    buffer.push(settlement);
    if (buffer.length >= FLUSH_EVERY) return flush();
    return undefined;
  };

  let stop: RunStop | undefined;
  /** this run met a 43107 and reported it */
  let banned = false;
  const stopReason = (): RunStop | undefined => {
    if (!stop && options.signal?.aborted) stop = 'shutdown';
    if (!stop) stop = options.control?.stopReason();
    return stop;
  };

  let sending: Sending[] = [];
  for (const message of lease.messages) {
    const start = decideStart(message);
    if (start.type === 'call' && message.credit) {
      sending.push({
        message,
        credit: message.credit,
        mayHaveSent: start.mayHaveSent,
        creditUsed: message.history.unknownWithHeldCredit,
        staleRetries: 0,
        ...(message.attemptId === undefined ? {} : { attemptId: message.attemptId }),
      });
    } else if (start.type !== 'call') {
      const settlement = settleStart(message.id, start, now());
      // the lease recorded an attempt only for what it judged sendable; had it judged otherwise,
      // that record of a call never made is taken back
      await settle(
        message.attemptId === undefined
          ? settlement
          : { ...settlement, attempt: { id: message.attemptId, outcome: 'not_sent' } },
      );
    }
  }

  const stateOf = (s: Sending) => ({
    kind: s.message.kind,
    creditKind: s.credit.kind,
    mayHaveSent: s.mayHaveSent,
    staleRetries: s.staleRetries,
    lastAttempt: options.lastAttempt,
  });
  const notCalled = async (list: Sending[], errmsg: string) => {
    for (const s of list) {
      const decision = decideAnswer({ kind: 'not_called', errmsg }, stateOf(s));
      if (decision.type === 'retry_later') result.retryLater += 1;
      const settlement = settleAnswer(s.message.id, undefined, decision, now());
      await settle(
        s.attemptId === undefined
          ? settlement
          : { ...settlement, attempt: { id: s.attemptId, outcome: 'not_sent' } },
      );
    }
  };

  const token = sending.length > 0 ? await r.tokens.getToken(appId) : undefined;
  if (token && !token.ok) {
    await notCalled(sending, `no access_token: ${token.message}`);
    sending = [];
  }
  let accessToken = token?.ok ? token.token.accessToken : '';

  // this run's name on the user locks it takes
  const holder = randomUUID();
  for (let pass = 0; sending.length > 0; pass += 1) {
    if (pass === MAX_PASSES) {
      await notCalled(sending, 'too many dead credits or stale tokens in one run');
      break;
    }
    const { refresh, nextCredit, busy } = await callPass(sending, accessToken);
    await flush();
    sending = [];
    if (stop) {
      for (const s of [...refresh, ...nextCredit]) await settleUnsent(s, undefined, stop);
      for (const s of busy) await settleUnsent(s, s.attemptId, stop);
      break;
    }
    const waiting: Sending[] = [];
    for (const s of busy) {
      if ((s.busyRounds ?? 0) < USER_BUSY_WAITS_MS.length) {
        waiting.push(s);
      } else {
        await settleUnsent(s, s.attemptId, 'user_busy');
        result.userBusy = (result.userBusy ?? 0) + 1;
      }
    }
    if (waiting.length > 0) {
      // one short wait for the busy users of the pass, then they go again (a shutdown cuts it short)
      const waitMs = USER_BUSY_WAITS_MS[Math.min(...waiting.map((s) => s.busyRounds ?? 0))] ?? 0;
      await sleep(waitMs, undefined, options.signal ? { signal: options.signal } : {}).catch(() => undefined);
      sending.push(...waiting.map((s) => ({ ...s, busyRounds: (s.busyRounds ?? 0) + 1 })));
    }
    if (refresh.length > 0) {
      const refreshed = await r.tokens.refreshTokenIfStale(appId, accessToken);
      if (refreshed.ok) {
        accessToken = refreshed.token.accessToken;
        sending.push(
          ...refresh.map(({ attemptId: _, ...s }) => ({ ...s, staleRetries: s.staleRetries + 1 })),
        );
      } else {
        await notCalled(refresh, `no fresh access_token: ${refreshed.message}`);
      }
    }
    if (nextCredit.length > 0) {
      const claimed = await claimCredits(
        r.db,
        lease.token,
        nextCredit.map((s) => s.message.id),
        new Date(r.now() + r.settings.creditExpiryMarginMs),
      );
      for (const s of nextCredit) {
        const credit = claimed.get(s.message.id);
        if (credit) {
          const { attemptId: _, ...rest } = s;
          sending.push({ ...rest, credit, mayHaveSent: false, creditUsed: false });
        } else {
          await settle(settleStart(s.message.id, decideNoCredit(s.message, s.deadCreditErrcode), now()));
        }
      }
    }
  }
  await flush();
  result.lost = guard.lost;
  if (stop) result.stopped = stop;
  return result;

  async function settleUnsent(s: Sending, attemptId: bigint | undefined, reason: UnsentReason) {
    const decision = decideUnsent(reason, s.creditUsed);
    const settlement = settleStart(s.message.id, decision, now());
    await settle(
      attemptId === undefined
        ? settlement
        : { ...settlement, attempt: { id: attemptId, outcome: 'not_sent' } },
    );
  }

  /** One round of calls over `list`; answers the messages to call again in this run. */
  async function callPass(list: Sending[], accessTokenOfPass: string) {
    const refresh: Sending[] = [];
    const nextCredit: Sending[] = [];
    /** not called now: another send to the user was in flight */
    const busy: Sending[] = [];
    const lostAttempts: bigint[] = [];
    // Permitted and recorded, waiting for a caller; kept short, so that a crash leaves few
    // attempts recorded for calls that never went out.
    const ready: Array<{ s: Sending; attemptId: bigint }> = [];
    const readyLimit = Math.max(options.concurrency * 2, 1);
    const waiting: Array<() => void> = [];
    let makeRoom: (() => void) | undefined;
    const wakeCallers = () => {
      for (const wake of waiting.splice(0)) wake();
    };
    let producing = true;
    let produced = 0;
    let failure: unknown;
    const releaseUser = (s: Sending) => r.userLocks.release(appId, s.message.openid, holder);

    // The feeder takes the rate's permits a chunk at a time, then records the attempts of exactly
    // that many calls in one statement before any of them leaves: attempts in bulk, ahead of the
    // calls, but never ahead of the rate.
    const feeder = (async () => {
      try {
        while (produced < list.length && !stopReason()) {
          while (ready.length >= readyLimit && !stopReason()) {
            await new Promise<void>((resolve) => {
              makeRoom = resolve;
            });
          }
          if (stopReason()) break;
          const answer = await r.gate.take(appId, list.length - produced, options.lane, options.signal);
          if (!answer.ok) {
            if (answer.reason === 'paused') result.paused ??= { untilMs: answer.untilMs };
            stop ??= answer.reason === 'paused' ? 'app_paused' : 'shutdown';
            break;
          }
          const granted = list.slice(produced, produced + answer.granted);
          produced += granted.length;
          // One call per user at a time: the users of the block in one round trip, beside the
          // statement that records the block's attempts (so that the lock costs no wait). A busy
          // user's message is not called now: its attempt is taken back at the end of the pass,
          // and the message waits for a later pass (its permit is not given back: the rate only
          // runs a little under its budget meanwhile).
          const toRecord = granted.filter((s) => s.attemptId === undefined);
          const [free, ids] = await Promise.all([
            r.userLocks.take(
              appId,
              granted.map((s) => s.message.openid),
              holder,
            ),
            recordAttempts(
              r.db,
              lease.token,
              toRecord.map((s) => ({ messageId: s.message.id, creditId: s.credit.id })),
            ),
          ]);
          for (const s of granted) {
            const recorded = ids.get(s.message.id);
            if (!free.delete(s.message.openid)) {
              if (recorded !== undefined) lostAttempts.push(recorded);
              busy.push(s);
              continue;
            }
            // a message not recorded is no longer this run's: another run holds it now
            const attemptId = s.attemptId ?? recorded;
            if (attemptId !== undefined) ready.push({ s, attemptId });
            else releaseUser(s);
          }
          wakeCallers();
        }
      } catch (error) {
        failure = error;
      } finally {
        producing = false;
        wakeCallers();
      }
    })();

    const nextReady = async () => {
      for (;;) {
        const item = ready.shift();
        if (item) {
          makeRoom?.();
          makeRoom = undefined;
          return item;
        }
        if (!producing) return undefined;
        await new Promise<void>((resolve) => waiting.push(resolve));
      }
    };

    const caller = async () => {
      for (;;) {
        const item = await nextReady();
        if (!item) return;
        const { s, attemptId } = item;
        // a stop can come while this call waited (another call hit the quota, a cancel)
        if (stopReason()) {
          releaseUser(s);
          await settleUnsent(s, attemptId, stop ?? 'shutdown');
          continue;
        }
        if (!(await guard.mayCall(s.message.id))) {
          releaseUser(s);
          lostAttempts.push(attemptId);
          continue;
        }
        const answer = await callWechat(r.wechat, s.message, s.credit, accessTokenOfPass, () =>
          guard.stillHeld(s.message.id),
        );
        releaseUser(s);
        // froze between the check above and the write: nothing was sent, and the lease may be gone
        if (answer.kind === 'held_back') {
          lostAttempts.push(attemptId);
          continue;
        }
        r.observeAnswer?.(appId, answer);
        const decision = decideAnswer(answer, stateOf(s));
        await settle(settleAnswer(s.message.id, attemptId, decision, now()));
        switch (decision.type) {
          case 'finish':
            if (decision.sendingBanned && !banned) {
              banned = true;
              await r.sendingBanned(appId, decision.errmsg ?? 'WeChat banned sending (43107)');
              // the batch's own broadcast is among those just paused
              if (options.lane === 'bulk') stop ??= 'broadcast_paused';
            }
            await options.control?.recordFinish(decision);
            break;
          case 'refresh_token':
            refresh.push(s);
            break;
          case 'next_credit':
            nextCredit.push({ ...s, deadCreditErrcode: decision.errcode });
            break;
          case 'call_again_shortly': {
            // the attempt is closed: the next call records its own
            const { attemptId: _, ...rest } = s;
            busy.push(rest);
            break;
          }
          case 'retry_later':
            result.retryLater += 1;
            break;
          case 'pause_app':
            if (!result.paused?.window) {
              result.paused = { untilMs: decision.untilMs, window: decision.window };
              await r.pauseApp(appId, decision.untilMs, decision.window);
            }
            stop ??= 'app_paused';
            break;
        }
      }
    };
    await Promise.all([
      feeder,
      ...Array.from({ length: Math.min(options.concurrency, list.length) }, caller),
    ]);
    if (failure) throw failure;
    // The feeder stopped before these: not permitted, not recorded (unless the lease did), not called.
    for (const s of list.slice(produced)) await settleUnsent(s, s.attemptId, stop ?? 'shutdown');
    // Lost to another run: the records of calls this run never made are taken back.
    await discardUnsentAttempts(r.db, lostAttempts);
    return { refresh, nextCredit, busy };
  }
}
