// Turns a run's results into the Markdown tables printed at the end of `npm run bench` (and pasted into
// bench/README.md): throughput by concurrency, the targets, the call index and lifecycle, and where the CPU went.

import { LONG_HISTORY } from './costGrowth';
import type { LoadSummary } from './loadSample';
import type { MachineInfo } from './machine';
import type { BenchResults, TargetCheck } from './results';

/** A Markdown table with padded columns (also used by the fault suite's report). */
export function table(header: string[], rows: string[][]): string {
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
    const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
    return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const whole = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? 'n/a' : Math.round(n).toLocaleString('en-US'));
const fixed = (n: number | undefined, digits = 2) => (n === undefined || Number.isNaN(n) ? 'n/a' : n.toFixed(digits));
const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

function throughputTable(results: BenchResults): string {
    const { settings } = results;
    return table(
        [
            'concurrency',
            'storage floor',
            'bare HTTP writer',
            'minimal function',
            'the app, 1 per POST',
            'app / floor',
            `the app, batches of ${settings.batchSize}`,
            'batch / single',
        ],
        settings.concurrencies
            .map(String)
            .map((c) => [
                c,
                whole(results.storageFloor[c]?.rate),
                `${whole(results.bareWriter[c]?.rate)} (${fixed(results.bareWriter[c]?.ratioToFloor)})`,
                `${whole(results.minimalFunction[c]?.rate)} (${fixed(results.minimalFunction[c]?.ratioToFloor)})`,
                whole(results.ingest[c]?.rate),
                fixed(results.ingest[c]?.ratioToFloor),
                whole(results.batches[c]?.rate),
                fixed(results.batches[c]?.ratioToSingle),
            ]),
    );
}

/** The target check of that name, as the target column shows it. */
function verdictOf(results: { targets: readonly TargetCheck[] }, name: string): string {
    const t = results.targets.find((candidate) => candidate.name === name);
    // Three decimals, so a value just over a limit does not print as the limit itself.
    return t === undefined ? '' : `${t.comparison} ${t.limit}: ${t.met ? 'met' : 'MISSED'} (${Number.isInteger(t.value) ? t.value : t.value.toFixed(3)})`;
}

function targetTable(results: BenchResults, top: string): string {
    const verdict = (name: string) => verdictOf(results, name);
    const { settings, ackLatencyMs: ack, costGrowth, coldStart, deploySize, tokenReuse } = results;
    return table(
        ['measurement', 'result', 'target'],
        [
            [
                `the app / storage floor at concurrency ${top}`,
                `${fixed(results.ingest[top]?.ratioToFloor)}; minimal function / floor ${fixed(results.minimalFunction[top]?.ratioToFloor)}`,
                verdict('ingestToFloor'),
            ],
            [`the app / minimal function at concurrency ${top}`, fixed(results.ingest[top]?.ratioToMinimalFunction), verdict('ingestToMinimalFunction')],
            [`batches of ${settings.batchSize} / single notifications at ${top}`, fixed(results.batches[top]?.ratioToSingle), verdict('batchToSingle')],
            [`acknowledgement latency at ${ack.concurrency}, p50 / p95 / p99`, `${fixed(ack.p50, 1)} / ${fixed(ack.p95, 1)} / ${fixed(ack.p99, 1)} ms`, ''],
            [
                'cost growth: 1,000-event call / new call',
                `${fixed(costGrowth.app.ratio)} (${fixed(costGrowth.app.longMs)} / ${fixed(costGrowth.app.newMs)} ms); ` +
                    `storage alone: the floor's rows ${fixed(costGrowth.storage.ratio)}, the app's rows ${fixed(costGrowth.storageAppRows.ratio)}`,
                verdict('costGrowth'),
            ],
            [
                'redelivery markers of the 1,000-event calls',
                `${whole(costGrowth.markerWeight.keysFound)} of ${whole(costGrowth.markerWeight.keysInWindow)} keys inside the window held; ` +
                    `${fixed(costGrowth.markerWeight.markerRowsPerCall, 1)} rows per call, ${fixed(costGrowth.markerWeight.keysPerRow, 1)} keys per row; ` +
                    `a write replaces a ${whole(costGrowth.markerWeight.markerBytesPerWrite)}-byte marker row beside its ${whole(costGrowth.markerWeight.eventBytesPerWrite)}-byte event row`,
                verdict('markerKeysDropped'),
            ],
            [
                'storage requests per notification',
                `${fixed(results.storageRequests.perPost)}; to a ${whole(LONG_HISTORY)}-event call ${fixed(results.storageRequests.perPostLongCall)}`,
                '',
            ],
            [
                'cold start: function app / @azure/functions + @azure/data-tables',
                `${fixed(coldStart.appRatio)} (${fixed(coldStart.app.loadMs, 1)} / ${fixed(coldStart.baseline.loadMs, 1)} ms); callback function alone ${fixed(coldStart.callbackRatio)}`,
                verdict('coldStart'),
            ],
            [
                'deployable zip (npm run package)',
                `${megabytes(deploySize.zipBytes)}, ${whole(deploySize.files)} files (${megabytes(deploySize.unpackedBytes)} unpacked; ` +
                    `bundle ${megabytes(deploySize.bundleBytes)} with ${deploySize.packages} packages)`,
                '',
            ],
            ['Graph token requests per 100 hang-ups', `${fixed(tokenReuse.tokenRequestsPer100, 0)} (${tokenReuse.tokenRequests} for ${tokenReuse.hangUps})`, verdict('tokenReuse')],
            [
                'console in headless Chromium: navigation to 100 calls listed / to a 2,500-event timeline drawn (median)',
                `${whole(results.console.listMs.median)} ms / ${whole(results.console.longTimelineMs.median)} ms (${results.console.runs} runs)`,
                '',
            ],
            [
                'console: the page and its assets, brotli',
                `${fixed(results.console.assetBytes.compressed / 1000, 1)} kB in ${results.console.assetBytes.files} files (${fixed(results.console.assetBytes.uncompressed / 1000, 1)} kB uncompressed)`,
                verdict('consoleAssetKilobytes'),
            ],
        ],
    );
}

function indexAndLifecycleTable(results: BenchResults): string {
    const verdict = (name: string) => verdictOf(results, name);
    const { listing, indexCost, storageRequests, memory, reconciler, retention, callEvents } = results;
    const calls = (n: number) => `${whole(n)}-call table`;
    const kinds = (counted: Record<string, number>) =>
        Object.entries(counted)
            .map(([kind, n]) => `${n} ${kind}`)
            .join(' + ');
    const position = storageRequests.typicalCall;
    const slow = reconciler.withGraphLatency;
    return table(
        ['measurement', 'result', 'target'],
        [
            [
                `one page (top=${listing.top}, the last hour) through GET /api/calls, ${calls(listing.small.calls)} / ${calls(listing.large.calls)}`,
                `${fixed(listing.small.pageMs, 1)} / ${fixed(listing.large.pageMs, 1)} ms, ratio ${fixed(listing.timeRatio)} (median of ${listing.rounds} rounds); ` +
                    `listCalls alone ${fixed(listing.small.functionMs, 1)} / ${fixed(listing.large.functionMs, 1)} ms, ratio ${fixed(listing.functionRatio)}`,
                verdict('listingTimeRatio'),
            ],
            [
                'storage requests per page, small / large table',
                `${listing.small.requestsPerPage} (${kinds(listing.small.requestKinds)}) / ${listing.large.requestsPerPage} (${kinds(listing.large.requestKinds)})`,
                verdict('listingRequestsDifference'),
            ],
            [
                'Azurite alone, small / large table: one point read; one query of an empty partition',
                `${fixed(listing.small.pointReadMs, 2)} / ${fixed(listing.large.pointReadMs, 2)} ms; ${fixed(listing.small.partitionQueryMs, 2)} / ${fixed(listing.large.partitionQueryMs, 2)} ms`,
                '',
            ],
            [
                `ingest of whole calls (${indexCost.notificationsPerCall} notifications, 1 per POST) at ${indexCost.concurrency}, with the index / without its writes`,
                `${whole(indexCost.withIndex.rate)} / ${whole(indexCost.withoutIndex.rate)} notifications/s, ratio ${fixed(indexCost.ratio)}; ` +
                    `p99 ${fixed(indexCost.withIndex.latencyMs.p99, 1)} / ${fixed(indexCost.withoutIndex.latencyMs.p99, 1)} ms`,
                verdict('ingestWithIndex'),
            ],
            [
                `table requests per notification of a typical call, 1st to ${position.tableRequests.length}th (ending: ${position.endingPosition + 1}th)`,
                `${position.tableRequests.join(', ')}; queue requests ${position.queueRequests.join(', ')} (median of ${position.calls} calls)`,
                verdict('laterNotificationRequests'),
            ],
            [
                `host RSS ingesting ${whole(memory.calls)} whole calls (${memory.notificationsPerCall} notifications, ${memory.notificationsPerPost} per POST)`,
                `${whole(memory.rssMiB.afterWarmUp)} MiB after warm-up; ${memory.rssMiB.samples.map((sample) => whole(sample.rssMiB)).join(', ')} MiB at each tenth; ` +
                    `${whole(memory.rssMiB.atEnd)} MiB at the end, ${whole(memory.rssMiB.idle)} MiB idle 5 s later, peak ${whole(memory.rssMiB.peak)} MiB ` +
                    `(${whole(memory.notificationsPerSecond)} notifications/s)`,
                '',
            ],
            [
                `reconciler: ${whole(reconciler.backlog)} stuck calls beside ${whole(reconciler.liveCalls)} live ones, ${reconciler.maxCallsPerRun} per run`,
                `${fixed(reconciler.checkedPerSecond, 1)} calls checked per second; runs of ${reconciler.runs.map((run) => `${run.checked} in ${fixed(run.durationMs / 1000, 1)} s`).join(', ')}; ` +
                    `drained ${fixed(reconciler.drainMinutes, 1)} min after the first run on the ${reconciler.scheduleMinutes}-minute schedule; ` +
                    `live calls asked ${reconciler.liveCallsAsked}, stuck left open ${reconciler.stuckLeftOpen}`,
                verdict('reconcilerMistakes'),
            ],
            [
                `reconciler with Graph answering in ${slow.graphLatencyMs} ms`,
                `${slow.calls} checked in ${fixed(slow.durationMs / 1000, 1)} s (${fixed(slow.checkedPerSecond, 1)} per second)`,
                '',
            ],
            [
                `retention: ${retention.oldCallsPerRun} old calls purged, ${calls(retention.small.calls)} / ${calls(retention.large.calls)}`,
                `${fixed(retention.small.msPerCall, 2)} / ${fixed(retention.large.msPerCall, 2)} ms and ${fixed(retention.small.requestsPerCall, 1)} / ${fixed(retention.large.requestsPerCall, 1)} requests per call ` +
                    `(${fixed(retention.small.rowsPerCall, 1)} rows each), ratio ${fixed(retention.costRatio)}; ${whole(retention.small.rowsPerSecond)} / ${whole(retention.large.rowsPerSecond)} rows deleted per second; ` +
                    `storage alone (the same operations from the bench) ${fixed(retention.storageAlone.smallMsPerCall, 2)} / ${fixed(retention.storageAlone.largeMsPerCall, 2)} ms per call, ratio ${fixed(retention.storageAlone.ratio)}`,
                verdict('purgeCostRatio'),
            ],
            [
                `callback acknowledgement at ${callEvents.concurrency}, calls of ${callEvents.notificationsPerCall} (a quarter of POSTs end a call), call-ended messages on / off`,
                `p99 ${fixed(callEvents.on.latencyMs.p99, 1)} / ${fixed(callEvents.off.latencyMs.p99, 1)} ms (ending POSTs ${fixed(callEvents.on.endingP99Ms, 1)} / ${fixed(callEvents.off.endingP99Ms, 1)} ms); ` +
                    `p50 ${fixed(callEvents.on.latencyMs.p50, 1)} / ${fixed(callEvents.off.latencyMs.p50, 1)} ms; ${whole(callEvents.on.rate)} / ${whole(callEvents.off.rate)} notifications/s (ratio ${fixed(callEvents.rateRatio)}); ` +
                    `${whole(callEvents.messagesQueued)} messages for ${whole(callEvents.callsEnded)} ended calls`,
                '',
            ],
        ],
    );
}

/** The relay to the bot (issue 18): what the relay section of bench/README.md shows. */
function relayTable(results: Pick<BenchResults, 'relay' | 'targets'>): string {
    const verdict = (name: string) => verdictOf(results, name);
    const { latency, throughput, storageRequests, outage } = results.relay;
    const joined = (values: readonly number[]) => values.map((n) => fixed(n, 0)).join(', ');
    return table(
        ['measurement', 'result', 'target'],
        [
            ...Object.entries(latency).map(([concurrency, l]) => [
                `store-to-bot latency of the callback's own attempt at ${concurrency}, p50 / p95 / p99 (${whole(l.notifications)} notifications)`,
                `${fixed(l.storeToBotMs.p50, 1)} / ${fixed(l.storeToBotMs.p95, 1)} / ${fixed(l.storeToBotMs.p99, 1)} ms; ` +
                    `Graph-to-bot p50 / p99 ${fixed(l.graphToBotMs.p50, 1)} / ${fixed(l.graphToBotMs.p99, 1)} ms; the 202 to Graph p50 / p99 ${fixed(l.ackMs.p50, 1)} / ${fixed(l.ackMs.p99, 1)} ms`,
                verdict(`relayLatencyP50At${concurrency}`),
            ]),
            [
                `ingest of whole calls (${throughput.notificationsPerCall} notifications, 1 per POST) at ${throughput.concurrency}, relay on / off`,
                `${whole(throughput.on.rate)} / ${whole(throughput.off.rate)} notifications/s, ratio ${fixed(throughput.rateRatio)}; ` +
                    `p50 ${fixed(throughput.on.latencyMs.p50, 1)} / ${fixed(throughput.off.latencyMs.p50, 1)} ms, p99 ${fixed(throughput.on.latencyMs.p99, 1)} / ${fixed(throughput.off.latencyMs.p99, 1)} ms; ` +
                    `host CPU ${fixed(throughput.on.cpuMsPerNotification.server, 2)} / ${fixed(throughput.off.cpuMsPerNotification.server, 2)} ms per notification`,
                verdict('relayIngestRatio'),
            ],
            [
                `storage requests per notification of a typical call, relay on / off (median of ${storageRequests.calls} calls)`,
                `table ${joined(storageRequests.on.table)} / ${joined(storageRequests.off.table)}; queue ${joined(storageRequests.on.queue)} / ${joined(storageRequests.off.queue)}`,
                verdict('relayHappyPathQueueRequests'),
            ],
            [
                `the bot down ${fixed(outage.outageSeconds, 0)} s while ${whole(outage.calls)} new calls stored ${outage.notificationsPerCall} notifications each (in ${fixed(outage.storeSeconds, 1)} s), retries ${outage.retrySchedule}`,
                `every call at the bot ${fixed(outage.drainSeconds, 1)} s after it was back (half of them after ${fixed(outage.drainP50Seconds, 1)} s); ` +
                    `its deliveries after it was back spread over ${fixed(outage.deliverySpreadSeconds, 1)} s; ${whole(outage.requests)} requests accepted; ` +
                    `out of order ${outage.orderViolations}, undelivered ${outage.undelivered}`,
                `${verdict('relayOrderViolations')}; ${verdict('relayUndelivered')}`,
            ],
        ],
    );
}

/** `npm run bench -- --only relay`: the relay's table alone. */
export function formatRelayReport(results: Pick<BenchResults, 'relay' | 'targets' | 'startedAt' | 'durationSeconds'> & { machine: MachineInfo }): string {
    const { machine } = results;
    return [
        `Machine: ${machine.cores} cores (${machine.cpuModel}), Node.js ${machine.node}, ${machine.platform}, ${machine.memoryGiB} GiB; load average ${machine.loadAverageAtStart} at start.`,
        `Run started ${results.startedAt}, took ${results.durationSeconds} s.`,
        '',
        'The relay to the bot (issue 18), against the example bot in its own process:',
        '',
        relayTable(results),
    ].join('\n');
}

function cpuTable(results: BenchResults, top: string): string {
    const processes = ['azurite', 'server', 'bench', 'other'];
    const rows: Array<[string, LoadSummary | undefined]> = [
        ['storage floor', results.storageFloor[top]],
        ['bare HTTP writer', results.bareWriter[top]],
        ['minimal function', results.minimalFunction[top]],
        ['the app, 1 per POST', results.ingest[top]],
        [`the app, batches of ${results.settings.batchSize}`, results.batches[top]],
    ];
    return table(
        [`CPU ms per notification at ${top}`, ...processes, 'total'],
        rows.map(([name, summary]) => {
            const values = processes.map((p) => summary?.cpuMsPerNotification[p]);
            const total = values.slice(0, 3).reduce<number>((sum, v) => sum + (v ?? 0), 0);
            return [name, ...values.map((v) => fixed(v, 3)), fixed(total, 3)];
        }),
    );
}

/** Repetitions during which processes outside the benchmark took more than a tenth of the cores. */
function disturbance(results: BenchResults): string {
    const summaries = [
        ...[results.storageFloor, results.bareWriter, results.minimalFunction, results.ingest, results.batches].flatMap((series) => Object.values(series)),
        results.indexCost.withIndex,
        results.indexCost.withoutIndex,
        results.callEvents.on,
        results.callEvents.off,
        results.relay.throughput.on,
        results.relay.throughput.off,
    ];
    const shares = summaries.flatMap((summary) => summary.otherCoreShares).filter((share): share is number => share !== undefined);
    if (shares.length === 0) return 'Other load on the machine: not measured (no /proc).';
    const disturbed = shares.filter((share) => share > DISTURBED_SHARE).length;
    const worst = Math.max(...shares);
    const overRun =
        results.otherCoreShareOverRun === undefined
            ? ''
            : ` Over the whole run (${results.durationSeconds} s) they used ${Math.round(results.otherCoreShareOverRun * 100)}% of the cores.`;
    return `Other load on the machine: ${disturbed} of ${shares.length} load repetitions had other processes using more than ${DISTURBED_SHARE * 100}% of the cores (worst ${Math.round(worst * 100)}%).${overRun}`;
}

const DISTURBED_SHARE = 0.1;

export function formatReport(results: BenchResults): string {
    const { machine, settings } = results;
    const top = String(Math.max(...settings.concurrencies));
    return [
        `Machine: ${machine.cores} cores (${machine.cpuModel}), Node.js ${machine.node}, ${machine.platform}, ${machine.memoryGiB} GiB; load average ${machine.loadAverageAtStart} at start.`,
        `Settings: ${settings.quick ? 'QUICK (development sizes: noisy, not for publishing); ' : ''}${settings.repetitions} repetitions of ${settings.windowMs} ms per load measurement (medians shown), ` +
            `${settings.calls} calls, ${settings.coldStartRuns} cold-start runs per set; call tables of ${whole(settings.callTables[0])} and ${whole(settings.callTables[1])} calls, ` +
            `${whole(settings.memoryCalls)} calls for memory, a reconciler backlog of ${whole(settings.reconcileBacklog)}.`,
        `Run started ${results.startedAt}, took ${results.durationSeconds} s.`,
        '',
        'Notifications per second; in parentheses and in the ratio columns, the median of the per-repetition ratios:',
        '',
        throughputTable(results),
        '',
        targetTable(results, top),
        '',
        'The call index and the call lifecycle (issues 10 and 11):',
        '',
        indexAndLifecycleTable(results),
        '',
        'The relay to the bot (issue 18), against the example bot in its own process:',
        '',
        relayTable(results),
        '',
        cpuTable(results, top),
        '',
        '`server` is the process that answered the POSTs (bare writer, minimal function host, app host); `total` leaves out',
        '`other`, the CPU of processes outside the benchmark while it ran (high values mean a disturbed run).',
        disturbance(results),
    ].join('\n');
}
