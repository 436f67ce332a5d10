// The relay to the bot: every notification the callback stores on a call is POSTed to `RELAY_URL`, signed, in
// order per call, at least once (docs/relay.md has the whole argument; relayRules.ts the decisions).
//
// - The callback makes the first attempt itself, right after the store and before it answers Graph: the commit
//   that stored the notifications also claimed them (relayRules.claimOnCommit), so on the happy path a delivery
//   costs one POST and one write (the delivery recorded on the summary and the history rows), and no queue request.
// - What is not delivered then is handed to a retry message on the relay's queue, visible when the next attempt is
//   due; the `relayRetries` queue trigger carries on from there. Only the holder of the call's `relayOwner` token
//   sends; every write checks the token under the summary's ETag.
// - A redelivery from Graph means the callback that stored the notification may have died before its answer: the
//   redelivery's callback takes the call's relay over.

import type { RequestAudit } from '../access/requester';
import type { CallEvent, CallSummary } from '../record/callModel';
import type { AppendResult, CallStore, CallUpdate } from '../record/callStore';
import { StorageUnavailableError } from '../record/storageErrors';
import type { RelayConfig } from '../settings/config';
import { postToBot } from './botEndpoint';
import { forgetDeadLetters, recordDeadLetters } from './deadLetterIndex';
import { rebuildNotification, relayBody } from './relayBody';
import type { RelayQueue, RelayWakeUp } from './relayQueue';
import { readRows } from './historyRows';
import { replayCall, type ReplayResult } from './replay';
import { randomOwner } from './relayOwner';
import { claimBatch, claimedRange, isRelayable, nextBatch, recordFailure, settleDelivered, skipRows, withOwner, type AttemptResult, type Batch } from './relayRules';
import { signWebhook } from './webhookSignature';

/** How long one attempt of a retry may wait for the bot (the callback's own attempt has RELAY_INLINE_TIMEOUT_MS). */
const RETRY_ATTEMPT_TIMEOUT_MS = 30_000;
/** How long one retry message keeps delivering a call's backlog before it hands the rest to a new message. */
const RETRY_RUN_BUDGET_MS = 60_000;
/** When a retry cannot reach the record, its message comes back after this long, with the same token. */
const STORAGE_RETRY_DELAY_MS = 30_000;
/** History rows read at once to find the next request. */
const ROWS_PER_READ = 100;

export interface RelayLog {
    log(...args: unknown[]): void;
    warn(...args: unknown[]): void;
}

export interface CallRelayOptions {
    config: RelayConfig;
    store: CallStore;
    queue: RelayQueue;
    now?: () => Date;
    /** A number from 0 to 1 (default Math.random), which spreads retries. */
    random?: () => number;
}

/** What a retry message did. */
export type WakeUpOutcome = 'stale' | 'delivered' | 'waiting';

/** Where an actor stands while it carries a call's relay on. */
interface Carrier {
    callId: string;
    owner: string;
    summary: CallSummary;
    /** Events this process already has (the callback's own), by sequence, so the happy path reads nothing. */
    known: ReadonlyMap<number, CallEvent>;
    deadline: number;
    attemptTimeoutMs: number;
    mode: 'inline' | 'retry';
    log: RelayLog;
}

export class CallRelay {
    readonly config: RelayConfig;
    readonly #store: CallStore;
    readonly #queue: RelayQueue;
    readonly #now: () => Date;
    readonly #random: () => number;
    /** Calls this process is delivering now: a second actor for the same call waits for the first. */
    readonly #inFlight = new Map<string, Promise<unknown>>();

    constructor(options: CallRelayOptions) {
        this.config = options.config;
        this.#store = options.store;
        this.#queue = options.queue;
        this.#now = options.now ?? (() => new Date());
        this.#random = options.random ?? Math.random;
    }

    /**
     * After the callback stored a call's notifications, before it answers Graph: the first attempt when its commit
     * claimed them, or the call's relay taken over when a redelivery shows the earlier callback may have died.
     * Storage failures propagate (the callback answers 503 and Graph redelivers); the bot's never do.
     */
    async afterIngest(callId: string, result: AppendResult, log: RelayLog): Promise<void> {
        const summary = result.summary;
        if (callId.startsWith('_') || summary === undefined || (summary.relayPending ?? 0) === 0) return;
        const deadline = this.#now().getTime() + this.config.inlineTimeoutMs;
        const claimed = claimedRange(summary);
        const claimedByThisCommit =
            claimed !== undefined && (summary.relayAttempts ?? 0) === 0 && result.stored.some((event) => event.sequence >= claimed.start && event.sequence <= claimed.end);
        const known = new Map(result.stored.map((event) => [event.sequence, event]));
        if (claimedByThisCommit && summary.relayOwner !== undefined) {
            const owner = summary.relayOwner;
            await this.#single(callId, 'skip', () =>
                this.#carryOn({ callId, owner, summary, known, deadline, attemptTimeoutMs: this.config.inlineTimeoutMs, mode: 'inline', log }),
            );
        } else if (result.duplicates > 0) {
            await this.#single(callId, 'skip', () => this.#takeOver(callId, known, deadline, log));
        }
    }

    /** A retry message: carries on with the call's relay when the message still owns it, else drops it. */
    async wakeUp(message: RelayWakeUp, log: RelayLog): Promise<WakeUpOutcome> {
        const outcome = await this.#single(message.callId, 'run', async (): Promise<WakeUpOutcome> => {
            try {
                const summary = await this.#store.getCallSummary(message.callId);
                if (summary === undefined || summary.relayOwner !== message.owner || (summary.relayPending ?? 0) === 0) return 'stale';
                const deadline = this.#now().getTime() + RETRY_RUN_BUDGET_MS;
                return await this.#carryOn({
                    callId: message.callId,
                    owner: message.owner,
                    summary,
                    known: new Map(),
                    deadline,
                    attemptTimeoutMs: RETRY_ATTEMPT_TIMEOUT_MS,
                    mode: 'retry',
                    log,
                });
            } catch (err) {
                if (!(err instanceof StorageUnavailableError)) throw err;
                // The record cannot be reached: the same token comes back later. If even that fails, the trigger
                // fails and the queue gives the message back.
                log.warn(`Relay of call ${message.callId}: ${err.message} Trying again in ${STORAGE_RETRY_DELAY_MS / 1000} s.`);
                await this.#queue.send(message, STORAGE_RETRY_DELAY_MS);
                return 'waiting';
            }
        });
        return outcome ?? 'stale';
    }

    /** Delivers a call's notifications again from `fromSequence` (see replay.ts). */
    replay(callId: string, fromSequence: number, audit: RequestAudit): Promise<ReplayResult> {
        return replayCall({ store: this.#store, queue: this.#queue, now: this.#now }, callId, fromSequence, audit);
    }

    /**
     * Runs `work`, one actor per call in this process: when another is delivering the call, it waits for it, then
     * skips (a callback: the one that ran carried the call on for it) or runs (a retry message, which checks its token).
     */
    async #single<T>(callId: string, whenBusy: 'skip' | 'run', work: () => Promise<T>): Promise<T | undefined> {
        const running = this.#inFlight.get(callId);
        if (running !== undefined) {
            await running.catch(() => undefined);
            if (whenBusy === 'skip') return undefined;
        }
        const task = work();
        this.#inFlight.set(callId, task);
        try {
            return await task;
        } finally {
            if (this.#inFlight.get(callId) === task) this.#inFlight.delete(callId);
        }
    }

    async #takeOver(callId: string, known: ReadonlyMap<number, CallEvent>, deadline: number, log: RelayLog): Promise<void> {
        const owner = randomOwner();
        const now = this.#now();
        const taken = await this.#store.updateCall(callId, (summary) => ((summary.relayPending ?? 0) === 0 ? undefined : { summary: withOwner(summary, owner, now) }));
        if (!taken.written) return;
        await this.#carryOn({ callId, owner, summary: taken.summary, known, deadline, attemptTimeoutMs: this.config.inlineTimeoutMs, mode: 'inline', log });
    }

    /** Delivers the call's pending requests in order while the owner holds the call and its time lasts. */
    async #carryOn(carrier: Carrier): Promise<WakeUpOutcome> {
        let { summary } = carrier;
        let delivered = false;
        while ((summary.relayPending ?? 0) > 0) {
            if (carrier.deadline <= this.#now().getTime()) return (await this.#handOff(carrier)) ? 'waiting' : 'stale';
            const next = await this.#batchOf(carrier, summary);
            if (next === undefined) return delivered ? 'delivered' : 'stale';
            if ('summary' in next) {
                summary = next.summary;
                continue;
            }
            const { batch } = next;
            summary = next.claimed;
            const attempt = (summary.relayAttempts ?? 0) + 1;
            // The callback's attempt ends with its budget: Graph is waiting for the answer.
            const timeoutMs = carrier.mode === 'inline' ? Math.min(carrier.attemptTimeoutMs, carrier.deadline - this.#now().getTime()) : carrier.attemptTimeoutMs;
            const result = await this.#attempt(carrier, batch, attempt, timeoutMs);
            const now = this.#now();
            if (result.delivered) {
                const written = await this.#write(carrier, (current) => settleDelivered(current, batch, result.status, attempt, now));
                if (written === undefined) return 'stale';
                if ((summary.relayFailed ?? 0) > 0 && (written.relayFailed ?? 0) === 0 && written.firstEventAt !== undefined) {
                    await forgetDeadLetters(this.#store.table, carrier.callId, written.firstEventAt).catch(() => undefined);
                }
                summary = written;
                delivered = true;
                continue;
            }
            const nextOwner = randomOwner();
            const jitter = this.#random();
            const failure = recordFailure(summary, batch, result, attempt, now, this.config, nextOwner, jitter);
            const record = (current: CallSummary) => recordFailure(current, batch, result, attempt, now, this.config, nextOwner, jitter).update;
            if (failure.deadLettered) {
                carrier.log.warn(`Relay of call ${carrier.callId}: notifications ${batch.start}-${batch.end} dead-lettered after ${attempt} attempts: ${result.error}`);
                await recordDeadLetters(this.#store.table, summary);
                const written = await this.#write(carrier, record);
                if (written === undefined) return 'stale';
                summary = written;
                continue;
            }
            // The retry message goes first: a failure written without one would leave the call with no owner.
            await this.#queue.send({ callId: carrier.callId, owner: nextOwner }, failure.waitMs);
            const written = await this.#write(carrier, record);
            if (written === undefined) return 'stale';
            carrier.log.warn(
                `Relay of call ${carrier.callId}: attempt ${attempt} of ${batch.start}-${batch.end} failed (${result.error}); next in ${Math.round(failure.waitMs / 1000)} s.`,
            );
            return 'waiting';
        }
        return delivered ? 'delivered' : 'stale';
    }

    /** The request to attempt: the one claimed, or the next one read from the history and claimed now. */
    async #batchOf(carrier: Carrier, summary: CallSummary): Promise<{ batch: Batch; claimed: CallSummary } | { summary: CallSummary } | undefined> {
        const claimed = claimedRange(summary);
        if (claimed !== undefined) {
            const events = await this.#events(carrier, claimed.start, claimed.end);
            return { batch: { ...claimed, events: events.filter((event) => isRelayable(carrier.callId, event)) }, claimed: summary };
        }
        const from = (summary.relayedThrough ?? summary.eventCount) + 1;
        const rows = await readRows(this.#store.table, carrier.callId, from, undefined, ROWS_PER_READ);
        const next = nextBatch(carrier.callId, rows);
        if (next === undefined) {
            // Pending by the count, and no row after the cursor: the count is wrong (a summary rebuilt by hand); mend it.
            const mended = await this.#write(carrier, (current) => ({ summary: { ...current, relayPending: 0 } }));
            return mended === undefined ? undefined : { summary: mended };
        }
        const now = this.#now();
        if ('skipTo' in next) {
            const skipped = await this.#write(carrier, (current) => ({ summary: skipRows(current, next.skipTo) }));
            return skipped === undefined ? undefined : { summary: skipped };
        }
        const written = await this.#write(carrier, (current) => ({ summary: claimBatch(current, next.batch, now) }));
        return written === undefined ? undefined : { batch: next.batch, claimed: written };
    }

    /** The history rows of a range: the ones this process has, else read. */
    async #events(carrier: Carrier, start: number, end: number): Promise<CallEvent[]> {
        const sequences = Array.from({ length: end - start + 1 }, (_, i) => start + i);
        const known = sequences.map((sequence) => carrier.known.get(sequence));
        if (known.every((event) => event !== undefined)) return known as CallEvent[];
        return readRows(this.#store.table, carrier.callId, start, end);
    }

    async #attempt(carrier: Carrier, batch: Batch, attempt: number, timeoutMs: number): Promise<AttemptResult> {
        const rebuilt = batch.events.map(rebuildNotification);
        const body = relayBody(rebuilt);
        const first = batch.events[0];
        const inexact = rebuilt.filter((notification) => !notification.exact).map((notification) => notification.sequence);
        const headers: Record<string, string> = {
            ...signWebhook(`${carrier.callId}/${batch.start}`, this.#now(), body, this.config.secrets),
            'x-call-record-call-id': carrier.callId,
            'x-call-record-sequence': batch.start === batch.end ? String(batch.start) : `${batch.start}-${batch.end}`,
            'x-call-record-attempt': String(attempt),
            ...(inexact.length === 0 ? {} : { 'x-call-record-truncated': inexact.join(',') }),
            ...(first?.chainId === undefined ? {} : { 'x-microsoft-skype-chain-id': first.chainId }),
            ...(first?.messageId === undefined ? {} : { 'x-microsoft-skype-message-id': first.messageId }),
            ...(first?.scenarioId === undefined ? {} : { 'scenario-id': first.scenarioId }),
        };
        return postToBot(this.config.url, body, headers, timeoutMs);
    }

    /** Out of time with requests left: a retry message due now carries on. */
    async #handOff(carrier: Carrier): Promise<boolean> {
        const owner = randomOwner();
        await this.#queue.send({ callId: carrier.callId, owner }, 0);
        const now = this.#now();
        return (await this.#write(carrier, (current) => ({ summary: withOwner(current, owner, now) }))) !== undefined;
    }

    /** Writes what `change` says while `carrier` still owns the call; undefined once another owner has it. */
    async #write(carrier: Carrier, change: (summary: CallSummary) => CallUpdate): Promise<CallSummary | undefined> {
        let lost = false;
        const { summary } = await this.#store.updateCall(carrier.callId, (current) => {
            lost = current.relayOwner !== carrier.owner;
            return lost ? undefined : change(current);
        });
        return lost ? undefined : summary;
    }
}
