// Turns a run's results into the Markdown tables printed at the end of `npm run bench` (and pasted into
// docs/benchmarks.md): throughput by concurrency, the targets, and where the CPU went.

import { LONG_HISTORY } from './costGrowth';
import type { LoadSummary } from './loadSample';
import type { BenchResults } from './results';

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
        ['concurrency', 'storage floor', 'bare HTTP writer', 'minimal function', 'the app, 1 per POST', 'app / floor', `the app, batches of ${settings.batchSize}`, 'batch / single'],
        settings.concurrencies.map(String).map((c) => [
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

function targetTable(results: BenchResults, top: string): string {
    const verdict = (name: string) => {
        const t = results.targets.find((candidate) => candidate.name === name);
        // Three decimals, so a value just over a limit does not print as the limit itself.
        return t === undefined ? '' : `${t.comparison} ${t.limit}: ${t.met ? 'met' : 'MISSED'} (${Number.isInteger(t.value) ? t.value : t.value.toFixed(3)})`;
    };
    const { settings, ackLatencyMs: ack, costGrowth, coldStart, deploySize, tokenReuse } = results;
    return table(
        ['measurement', 'result', 'target'],
        [
            [
                `the app / storage floor at concurrency ${top}`,
                `${fixed(results.ingest[top]?.ratioToFloor)}; minimal function / floor ${fixed(results.minimalFunction[top]?.ratioToFloor)}, the app / minimal function ${fixed(results.ingest[top]?.ratioToMinimalFunction)}`,
                verdict('ingestToFloor'),
            ],
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
                "console: the page and its assets, brotli",
                `${fixed(results.console.assetBytes.compressed / 1000, 1)} kB in ${results.console.assetBytes.files} files (${fixed(results.console.assetBytes.uncompressed / 1000, 1)} kB uncompressed)`,
                verdict('consoleAssetKilobytes'),
            ],
        ],
    );
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
    const summaries = [results.storageFloor, results.bareWriter, results.minimalFunction, results.ingest, results.batches].flatMap((series) => Object.values(series));
    const shares = summaries.flatMap((summary) => summary.otherCoreShares).filter((share): share is number => share !== undefined);
    if (shares.length === 0) return 'Other load on the machine: not measured (no /proc).';
    const disturbed = shares.filter((share) => share > DISTURBED_SHARE).length;
    const worst = Math.max(...shares);
    return `Other load on the machine: ${disturbed} of ${shares.length} load repetitions had other processes using more than ${DISTURBED_SHARE * 100}% of the cores (worst ${Math.round(worst * 100)}%).`;
}

const DISTURBED_SHARE = 0.1;

export function formatReport(results: BenchResults): string {
    const { machine, settings } = results;
    const top = String(Math.max(...settings.concurrencies));
    return [
        `Machine: ${machine.cores} cores (${machine.cpuModel}), Node.js ${machine.node}, ${machine.platform}, ${machine.memoryGiB} GiB; load average ${machine.loadAverageAtStart} at start.`,
        `Settings: ${settings.repetitions} repetitions of ${settings.windowMs} ms per load measurement (medians shown), ${settings.calls} calls, ${settings.coldStartRuns} cold-start runs per set.`,
        '',
        'Notifications per second; in parentheses and in the ratio columns, the median of the per-repetition ratios:',
        '',
        throughputTable(results),
        '',
        targetTable(results, top),
        '',
        cpuTable(results, top),
        '',
        '`server` is the process that answered the POSTs (bare writer, minimal function host, app host); `total` leaves out',
        '`other`, the CPU of processes outside the benchmark while it ran (high values mean a disturbed run).',
        disturbance(results),
    ].join('\n');
}
