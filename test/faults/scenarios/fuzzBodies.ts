// Fuzzed callback bodies (fuzzCases.ts), several in flight, alternating between the instances. Bad input
// must get a 4xx (or a 202 when what is readable is stored and the rest kept as rejected), never a 5xx
// or no answer; a 202's counts must add up to the notifications in the body; the notifications left as
// Graph sends them ("tracers") must be stored exactly once when their body was accepted and never when it
// was refused; and every partition written must keep its shape (recordCheck.ts).

import { setTimeout as delay } from 'node:timers/promises';
import { UNROUTED_PARTITION } from '../../../shared/record/callModel';
import { fuzzCase, FUZZ_ID_PATTERN, type FuzzCase, type FuzzSetup } from '../fuzzCases';
import { AnswerTally, GraphSender, isRetryable, type Answer } from '../graphSender';
import { checkPartitionShape, FailureLog, readCall } from '../recordCheck';
import { scenarioResult, type Scenario } from '../scenario';

/** A 5xx answered to a body is tried this many more times, to tell a passing failure from one for ever. */
const REDELIVERIES_AFTER_5XX = 2;
/** Where a polluted prototype could send a notification (see the `proto` cases): must stay empty. */
const POLLUTED_PARTITION = 'polluted';

interface CaseOutcome {
    fuzz: FuzzCase;
    answers: Answer[];
}

export const fuzzBodies: Scenario = {
    id: 'fuzz',
    name: 'fuzzed bodies',
    async run(context) {
        const { env, sizes, seed } = context;
        const size = sizes.fuzz;
        const started = Date.now();
        const setup: FuzzSetup = { seed, callIds: Array.from({ length: size.calls }, (_, k) => `fuzz-${(seed >>> 0).toString(16)}-${String(k).padStart(3, '0')}`) };
        const tally = new AnswerTally();
        const failures = new FailureLog();
        const outcomes: CaseOutcome[] = [];
        const sender = new GraphSender(env, size.concurrency);
        let forbiddenAnswers = 0;
        try {
            const authorization = `Bearer ${await env.token()}`;
            const send = async (outcome: CaseOutcome) => {
                const answer = await sender.post(outcome.fuzz.body, { Authorization: authorization, ...outcome.fuzz.headers });
                tally.count(answer);
                outcome.answers.push(answer);
                if (!judgeAnswer(outcome.fuzz, answer, failures)) forbiddenAnswers += 1;
            };
            let next = 0;
            const worker = async () => {
                while (next < size.bodies) {
                    const outcome = { fuzz: fuzzCase(setup, next++), answers: [] };
                    outcomes.push(outcome);
                    await send(outcome);
                }
            };
            await Promise.all(Array.from({ length: size.concurrency }, worker));
            // As Graph would: deliver again what got a 5xx, to see whether it heals.
            for (let round = 1; round <= REDELIVERIES_AFTER_5XX; round++) {
                const failed = outcomes.filter((o) => isRetryable(o.answers.at(-1)!.status));
                if (failed.length === 0) break;
                await delay(500 * round);
                for (const outcome of failed) await send(outcome);
            }
            for (const outcome of outcomes.filter((o) => isRetryable(o.answers.at(-1)!.status))) {
                failures.add(`still ${String(outcome.answers.at(-1)!.status)} after ${REDELIVERIES_AFTER_5XX} redeliveries`, describeCase(seed, outcome.fuzz));
            }
        } finally {
            sender.close();
        }

        const stored = await readBack(env.table, [...setup.callIds, UNROUTED_PARTITION, POLLUTED_PARTITION], failures);
        const findings = compareTracers(outcomes, stored, failures);
        compareCounts(outcomes, stored, failures);
        return scenarioResult(this.name, context, tally, started, {
            ...findings,
            wrongCalls: stored.wrongPartitions,
            forbiddenAnswers,
            failures: failures.lines(),
            notes: [
                `seed ${seed}: replay with \`npm run faults -- --only fuzz --seed ${seed}\``,
                `${size.bodies} bodies over ${size.calls} calls, ${size.concurrency} in flight; kinds: ${describeKinds(outcomes)}`,
                `${stored.events} events stored in ${stored.partitions} partitions (${stored.unrouted} in ${UNROUTED_PARTITION})`,
            ],
        });
    },
};

/** False for an answer bad input must never get: a 5xx, no answer, or a refusal of the valid token. */
function judgeAnswer(fuzz: FuzzCase, answer: Answer, failures: FailureLog): boolean {
    const { status } = answer;
    if (status === 'none' || status >= 500) {
        failures.add(
            `${status === 'none' ? 'no answer' : status} for ${fuzz.kind}`,
            `case ${fuzz.index} (${fuzz.variant}): ${answer.status === 'none' ? answer.error : detailOf(answer.body)}`,
        );
        return false;
    }
    if (status === 401 || status === 403) {
        failures.add(`${status} with a valid token`, `case ${fuzz.index} (${fuzz.kind}, ${fuzz.variant})`);
        return false;
    }
    if (status === 202) {
        const expected = notificationCount(fuzz.body);
        const counts = countsOf(answer.body);
        if (expected === undefined) failures.add('202 for a body that is not a notification collection', `case ${fuzz.index} (${fuzz.kind}, ${fuzz.variant})`);
        else if (counts === undefined || counts.accepted + counts.duplicates + counts.rejected !== expected) {
            failures.add('202 counts do not add up', `case ${fuzz.index} (${fuzz.kind}, ${fuzz.variant}): ${answer.body.slice(0, 100)} for ${expected} notifications`);
        }
        return true;
    }
    if (status < 400 || status >= 500) failures.add(`unexpected ${status}`, `case ${fuzz.index} (${fuzz.kind}, ${fuzz.variant})`);
    return true;
}

/** How many notifications the body holds, read as the SPEC says the app reads it; undefined when it holds no collection. */
function notificationCount(body: Buffer): number | undefined {
    try {
        const parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body)) as unknown;
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
        const value = (parsed as { value?: unknown }).value;
        return Object.hasOwn(parsed, 'value') && Array.isArray(value) ? value.length : undefined;
    } catch {
        return undefined;
    }
}

/** The `detail` of a problem answer, short; the body itself when it is not one. */
function detailOf(body: string): string {
    try {
        const { detail } = JSON.parse(body) as { detail?: unknown };
        if (typeof detail === 'string') return detail.slice(0, 120);
    } catch {
        // not a problem+json body: show it as it came
    }
    return body.slice(0, 120);
}

function countsOf(body: string): { accepted: number; duplicates: number; rejected: number } | undefined {
    try {
        const { accepted, duplicates, rejected } = JSON.parse(body) as Record<string, unknown>;
        return [accepted, duplicates, rejected].every((n) => Number.isInteger(n) && (n as number) >= 0)
            ? { accepted: accepted as number, duplicates: duplicates as number, rejected: rejected as number }
            : undefined;
    } catch {
        return undefined;
    }
}

interface StoredFuzz {
    /** Fuzz id -> history rows that carry it. */
    rowsById: Map<string, number>;
    events: number;
    duplicateCount: number;
    partitions: number;
    unrouted: number;
    wrongPartitions: number;
}

async function readBack(table: Parameters<typeof readCall>[0], partitions: readonly string[], failures: FailureLog): Promise<StoredFuzz> {
    const stored: StoredFuzz = { rowsById: new Map(), events: 0, duplicateCount: 0, partitions: 0, unrouted: 0, wrongPartitions: 0 };
    for (const partition of partitions) {
        const { summary, events } = await readCall(table, partition);
        if (partition === POLLUTED_PARTITION && (summary !== undefined || events.length > 0))
            failures.add('a polluted prototype routed notifications', `${events.length} events in "${partition}"`);
        if (!checkPartitionShape(partition, summary, events, failures)) stored.wrongPartitions += 1;
        if (events.length > 0) stored.partitions += 1;
        if (partition === UNROUTED_PARTITION) stored.unrouted = events.length;
        stored.events += events.length;
        stored.duplicateCount += Number(summary?.duplicateCount ?? 0);
        for (const event of events) {
            const text = `${String(event.graphEtag ?? '')} ${String(event.resourceData ?? '')}`;
            for (const id of new Set([...text.matchAll(FUZZ_ID_PATTERN)].map((m) => m[0]))) stored.rowsById.set(id, (stored.rowsById.get(id) ?? 0) + 1);
        }
    }
    return stored;
}

function compareTracers(outcomes: readonly CaseOutcome[], stored: StoredFuzz, failures: FailureLog): { notifications: number; lost: number; doubled: number } {
    const accepted = new Set<string>();
    const unsure = new Set<string>();
    const refused = new Map<string, CaseOutcome>();
    for (const outcome of outcomes) {
        const { tracers } = outcome.fuzz;
        for (const id of tracers) {
            if (outcome.answers.some((a) => a.status === 202)) accepted.add(id);
            else if (outcome.answers.some((a) => isRetryable(a.status))) unsure.add(id);
            else refused.set(id, outcome);
        }
    }
    let lost = 0;
    for (const id of accepted) {
        if ((stored.rowsById.get(id) ?? 0) === 0) {
            lost += 1;
            failures.add('lost', `${id} accepted, not stored`);
        }
    }
    for (const [id, outcome] of refused) {
        if (!accepted.has(id) && !unsure.has(id) && (stored.rowsById.get(id) ?? 0) > 0) {
            failures.add('stored although its body was refused', `${id} (case ${outcome.fuzz.index}, ${outcome.fuzz.kind}: ${String(outcome.answers.at(-1)?.status)})`);
        }
    }
    let doubled = 0;
    for (const [id, rows] of stored.rowsById) {
        if (rows > 1) {
            doubled += 1;
            failures.add('doubled', `${id} in ${rows} history rows`);
        }
    }
    return { notifications: new Set([...accepted, ...unsure, ...refused.keys()]).size, lost, doubled };
}

/** What the 202s said was stored and counted must be what the table holds. */
function compareCounts(outcomes: readonly CaseOutcome[], stored: StoredFuzz, failures: FailureLog): void {
    let storedSaid = 0;
    let duplicatesSaid = 0;
    let unknown = 0;
    for (const { fuzz, answers } of outcomes) {
        for (const answer of answers) {
            if (answer.status === 202) {
                const counts = countsOf(answer.body);
                storedSaid += (counts?.accepted ?? 0) + (counts?.rejected ?? 0);
                duplicatesSaid += counts?.duplicates ?? 0;
            } else if (isRetryable(answer.status)) {
                unknown += notificationCount(fuzz.body) ?? 0;
            }
        }
    }
    if (stored.events < storedSaid || stored.events > storedSaid + unknown) {
        failures.add('events stored differ from the 202s', `${stored.events} stored, 202s said ${storedSaid} (+ up to ${unknown} from failed answers)`);
    }
    if (stored.duplicateCount < duplicatesSaid || stored.duplicateCount > duplicatesSaid + unknown) {
        failures.add('duplicateCount differs from the 202s', `${stored.duplicateCount} counted, 202s said ${duplicatesSaid} (+ up to ${unknown} from failed answers)`);
    }
}

function describeCase(seed: number, fuzz: FuzzCase): string {
    return `case ${fuzz.index} of seed ${seed} (${fuzz.kind}, ${fuzz.variant}, ${fuzz.body.length} bytes)`;
}

function describeKinds(outcomes: readonly CaseOutcome[]): string {
    const counts = new Map<string, number>();
    for (const { fuzz } of outcomes) counts.set(fuzz.kind, (counts.get(fuzz.kind) ?? 0) + 1);
    return [...counts].map(([kind, count]) => `${kind} ${count}`).join(', ');
}
