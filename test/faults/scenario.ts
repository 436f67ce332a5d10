// What every scenario is given and what it reports, and the sizes of the full suite (`npm run faults`)
// and of its small version inside `npm test`.

import type { FaultEnvironment } from './faultEnvironment';
import { DEDUPE_WINDOW_SECONDS } from './faultEnvironment';
import { isRetryable, type AnswerTally } from './graphSender';

export interface FaultSizes {
    storm: {
        calls: number;
        deliveriesEach: number;
        concurrency: number;
        /** Random hold-back of every request to storage, 0..this (see storageProxy.ts). */
        storageLatencyMs: number;
    };
    hot: {
        calls: number;
        notifications: number;
        rounds: number;
        pairsInFlight: number;
        callsAtOnce: number;
        /** Random hold-back of every request to storage, 0..this (see storageProxy.ts). */
        storageLatencyMs: number;
    };
    kill: { calls: number; concurrency: number; killAfter: number };
    cut: { calls: number; concurrency: number; cutAfter: number; cutMs: number };
    jwks: { calls: number; concurrency: number };
    fuzz: { bodies: number; concurrency: number; calls: number };
    roster: {
        calls: number;
        /** Deltas after each call's first, whole roster. */
        changes: number;
        /** The first call's first roster: more people than one transaction holds rows for. */
        bigRoster: number;
        deliveriesEach: number;
        concurrency: number;
        storageLatencyMs: number;
    };
    /** The relay scenarios (scenarios/relay*.ts). */
    relay: {
        /** The bot down for `downMs`, taken down once `downAfter` of the deliveries have started. */
        down: { calls: number; concurrency: number; downAfter: number; downMs: number };
        /** A 500 for this share of the bot's requests. */
        errors: { calls: number; concurrency: number; share: number };
        /** Every answer of the bot this much later than the callback's own attempt may wait. */
        slow: { calls: number; concurrency: number; overMs: number };
        /** Every notification delivered to both instances at once. */
        twice: { calls: number; concurrency: number };
        /** The bot holds every request `holdMs`; one instance is killed once `killAfter` of the deliveries have started. */
        kill: { calls: number; concurrency: number; holdMs: number; killAfter: number };
    };
}

export const FULL_SIZES: FaultSizes = {
    storm: { calls: 1000, deliveriesEach: 3, concurrency: 32, storageLatencyMs: 20 },
    hot: { calls: 40, notifications: 30, rounds: 2, pairsInFlight: 32, callsAtOnce: 4, storageLatencyMs: 80 },
    kill: { calls: 250, concurrency: 16, killAfter: 0.4 },
    cut: { calls: 250, concurrency: 16, cutAfter: 0.3, cutMs: 2000 },
    jwks: { calls: 60, concurrency: 8 },
    fuzz: { bodies: 10_000, concurrency: 8, calls: 64 },
    roster: { calls: 100, changes: 12, bigRoster: 250, deliveriesEach: 3, concurrency: 32, storageLatencyMs: 20 },
    relay: {
        down: { calls: 500, concurrency: 16, downAfter: 0.1, downMs: 60_000 },
        errors: { calls: 250, concurrency: 16, share: 1 / 3 },
        slow: { calls: 120, concurrency: 16, overMs: 300 },
        twice: { calls: 250, concurrency: 16 },
        kill: { calls: 250, concurrency: 16, holdMs: 300, killAfter: 0.4 },
    },
};

/** Small enough for `npm test` on a shared 2-core machine, big enough to have caught each known defect. */
export const SMALL_SIZES: FaultSizes = {
    storm: { calls: 40, deliveriesEach: 3, concurrency: 32, storageLatencyMs: 0 },
    hot: { calls: 8, notifications: 30, rounds: 2, pairsInFlight: 32, callsAtOnce: 4, storageLatencyMs: 80 },
    kill: { calls: 40, concurrency: 16, killAfter: 0.4 },
    cut: { calls: 40, concurrency: 16, cutAfter: 0.3, cutMs: 2000 },
    jwks: { calls: 10, concurrency: 8 },
    fuzz: { bodies: 200, concurrency: 8, calls: 16 },
    roster: { calls: 8, changes: 10, bigRoster: 120, deliveriesEach: 3, concurrency: 16, storageLatencyMs: 20 },
    relay: {
        down: { calls: 24, concurrency: 8, downAfter: 0.1, downMs: 4000 },
        errors: { calls: 24, concurrency: 8, share: 1 / 3 },
        slow: { calls: 12, concurrency: 8, overMs: 300 },
        twice: { calls: 24, concurrency: 8 },
        kill: { calls: 24, concurrency: 8, holdMs: 300, killAfter: 0.4 },
    },
};

export interface ScenarioContext {
    env: FaultEnvironment;
    sizes: FaultSizes;
    /** The run's seed; each scenario derives its own generator from it. */
    seed: number;
}

export interface ScenarioResult {
    name: string;
    /** POSTs sent, redeliveries included. */
    requests: number;
    /** Answers by status (`none`: the connection failed or no answer came). */
    answers: Record<string, number>;
    /** Distinct notifications sent (fuzz: tracers, the notifications left as Graph sends them). */
    notifications: number;
    lost: number;
    doubled: number;
    /** Calls whose summary or history is wrong (see recordCheck.ts). */
    wrongCalls: number;
    /** Answers a scenario forbids (fuzz: 5xx or no answer to bad input; elsewhere: a 401 for a valid token). */
    forbiddenAnswers: number;
    seconds: number;
    passed: boolean;
    /** Every expectation that failed, with examples. */
    failures: string[];
    /** What happened, for the reader: when the fault was injected, what it hit. */
    notes: string[];
    /** The relay scenarios: what the bot's log says (relayCheck.ts). */
    relay?: RelayFindings;
}

interface RelayFindings {
    /** Requests the bot received, and how many of them repeated a `webhook-id`. */
    requests: number;
    repeats: number;
    /** Stored notifications the bot never accepted. */
    undelivered: number;
    /** Requests that reached the bot before an earlier notification of their call was accepted. */
    outOfOrder: number;
    /** Calls with something still pending or dead-lettered at the end. */
    undrained: number;
    drainSeconds: number;
}

export interface Scenario {
    /** Short, for `--only`: storm, hot, kill, cut, jwks, fuzz, roster, bot-down, bot-errors, bot-slow, relay-twice, relay-kill. */
    id: string;
    name: string;
    /** The instances relay every notification to the environment's bot (FaultEnvironment.setRelay). */
    relay?: boolean;
    run(context: ScenarioContext): Promise<ScenarioResult>;
}

export interface Findings {
    notifications: number;
    lost: number;
    doubled: number;
    wrongCalls: number;
    forbiddenAnswers?: number;
    failures: string[];
    notes?: string[];
    relay?: RelayFindings;
}

/**
 * The scenario's result, with the checks every scenario shares added: no instance dead at the end, and
 * the scenario short enough for every redelivery to fall inside the dedupe window.
 */
export function scenarioResult(name: string, context: ScenarioContext, tally: AnswerTally, startedAt: number, findings: Findings): ScenarioResult {
    const seconds = (Date.now() - startedAt) / 1000;
    const failures = [...findings.failures];
    const dead = context.env.deadInstances();
    if (dead.length > 0) failures.push(`instance(s) ${dead.join(', ')} not running at the end: ${dead.map((i) => lastLines(context.env.hosts[i]?.logs() ?? '')).join(' | ')}`);
    if (seconds >= DEDUPE_WINDOW_SECONDS) failures.push(`took ${seconds.toFixed(0)} s, longer than the dedupe window (${DEDUPE_WINDOW_SECONDS} s): "doubled" is not meaningful`);
    const notes = [...(findings.notes ?? [])];
    if (tally.examples.none !== undefined) notes.push(`no answer: ${tally.examples.none.join(' | ')}`);
    const forbiddenAnswers = findings.forbiddenAnswers ?? 0;
    const relay = findings.relay;
    const relayClean = relay === undefined || (relay.undelivered === 0 && relay.outOfOrder === 0 && relay.undrained === 0);
    const passed = findings.lost === 0 && findings.doubled === 0 && findings.wrongCalls === 0 && forbiddenAnswers === 0 && relayClean && failures.length === 0;
    if (!passed) {
        // What the app said when it failed or refused a valid token, so the report explains itself.
        for (const [status, examples] of Object.entries(tally.examples)) {
            if (isRetryable(status === 'none' ? 'none' : Number(status)) || status === '401') failures.push(`answers ${status} said: ${examples.join(' | ')}`);
        }
    }
    return {
        name,
        requests: tally.requests,
        answers: { ...tally.byStatus },
        notifications: findings.notifications,
        lost: findings.lost,
        doubled: findings.doubled,
        wrongCalls: findings.wrongCalls,
        forbiddenAnswers,
        seconds,
        passed,
        failures,
        notes,
        ...(relay === undefined ? {} : { relay }),
    };
}

function lastLines(text: string, count = 5): string {
    return text.trim().split('\n').slice(-count).join(' / ');
}
