// `npm run bench:roster`: the measurements of issue 19 on their own (bench/README.md, "Roster, call records and
// keepAlive"): the roster's cost per notification for calls of 2, 50 and 250 people, fetching and storing Graph's
// call record of a 250-participant, 300-session meeting, and a keepAlive run over 2,000 active calls. Starts its own
// Azurite, callback signer, hosts and call simulator; prints Markdown tables and writes bench/roster-results.json.

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BENCH_BOT_APP_ID, BENCH_TENANT, startBenchEnvironment } from './benchEnvironment';
import { CALL_RECORD_SHAPES, measureCallRecordCost, type CallRecordCostRow } from './callRecordCost';
import { measureKeepAlive, type KeepAliveCostResult } from './keepAliveCost';
import { describeMachine } from './machine';
import { progress } from './progress';
import { table } from './report';
import { measureRosterCost, type RosterCostRow } from './rosterCost';

const REPOSITORY_ROOT = path.resolve(__dirname, '../..');
const USAGE = 'Usage: npm run bench:roster -- [--quick] [--output bench/roster-results.json]';

interface RosterBenchResults {
    startedAt: string;
    quick: boolean;
    machine: ReturnType<typeof describeMachine>;
    roster: RosterCostRow[];
    callRecords: CallRecordCostRow[];
    keepAlive: KeepAliveCostResult;
}

async function main(): Promise<void> {
    const { values } = parseArgs({ args: process.argv.slice(2), options: { quick: { type: 'boolean' }, output: { type: 'string' }, help: { type: 'boolean' } } });
    if (values.help === true) {
        console.log(USAGE);
        return;
    }
    const quick = values.quick === true;
    const output = path.resolve(values.output ?? path.join(REPOSITORY_ROOT, 'bench/roster-results.json'));
    const startedAt = new Date().toISOString();
    const env = await startBenchEnvironment();
    try {
        const token = await env.issuer.sign({ aud: BENCH_BOT_APP_ID, tid: BENCH_TENANT, exp: Math.floor(Date.now() / 1000) + 3600 });
        progress('roster cost: a host whose table goes through a counting proxy');
        const roster = await measureRosterCost(env.azurite, token, (settings) => env.startHost({ ...env.callbackSettings, ...settings }), quick ? 2 : 7);
        progress("call records: Graph's record of an ended call, fetched through the admin endpoint");
        const callRecords = await measureCallRecordCost(env.azurite, env.tls, (settings) => env.startHost(settings), quick ? 2 : 5);
        progress('keepAlive: one host, the simulator as Graph');
        const keepAlive = await measureKeepAlive(env.azurite, env.tls, (settings) => env.startHost(settings), quick ? 300 : 2000);
        const results: RosterBenchResults = { startedAt, quick, machine: describeMachine(), roster, callRecords, keepAlive };
        writeFileSync(output, `${JSON.stringify(results, null, 2)}\n`);
        console.log(report(results));
        console.log(`\nResults written to ${path.relative(process.cwd(), output) || output}.`);
    } finally {
        await env.stop();
    }
}

function report(results: RosterBenchResults): string {
    const { machine } = results;
    const kinds = (record: Record<string, number>) =>
        Object.entries(record)
            .filter(([, n]) => n > 0)
            .map(([kind, n]) => `${kind} ${n}`)
            .join(', ') || '-';
    const ms = (value: number) => `${value.toFixed(1)} ms`;
    const lines = [
        `${results.quick ? 'QUICK (not for publishing): ' : ''}${machine.cores} cores, Node.js ${machine.node}, ${results.startedAt}`,
        '',
        '### Roster: per participants notification (medians)',
        '',
        table(
            ['people', 'notification', 'rows changed', 'table requests', 'by kind', 'time to 202', 'calls'],
            results.roster.map((row) => [
                String(row.people),
                row.notification,
                String(row.rowsChanged),
                String(row.tableRequests),
                kinds(row.kinds),
                ms(row.ms),
                String(row.calls),
            ]),
        ),
        '',
        "### Graph's call record: one fetch (medians)",
        '',
        table(
            ['participants', 'sessions', 'time (host)', 'Graph requests', 'table requests', 'blob requests', 'queue messages', 'bytes kept', 'calls'],
            results.callRecords.map((row) => [
                String(row.participants),
                String(row.sessions),
                ms(row.ms),
                String(row.graphRequests),
                String(row.tableRequests),
                String(row.blobRequests),
                String(row.queueMessages),
                row.blobBytes.toLocaleString('en-US'),
                String(row.calls),
            ]),
        ),
        '',
        `### keepAlive: a run over ${results.keepAlive.calls.toLocaleString('en-US')} active calls`,
        '',
        table(
            ['run', 'active', 'sent', 'kept alive', 'Graph keepAlives', 'time (host)', 'table requests', 'by kind'],
            results.keepAlive.runs.map((run, i) => [
                String(i + 1),
                String(run.active),
                String(run.sent),
                String(run.keptAlive),
                String(run.graphKeepAlives),
                ms(run.durationMs),
                String(run.tableRequests),
                kinds(run.tableKinds),
            ]),
        ),
    ];
    if (results.keepAlive.scheduledRunsMeanwhile > 0) lines.push('', `A scheduled keepAlive run fired during the measurement ${results.keepAlive.scheduledRunsMeanwhile} time(s).`);
    lines.push('', `Call record shapes: ${CALL_RECORD_SHAPES.map((shape) => `${shape.participants} participants / ${shape.sessions} sessions`).join(', ')}.`);
    return lines.join('\n');
}

main().then(
    () => process.exit(0),
    (err: unknown) => {
        console.error(err instanceof Error ? (err.stack ?? err.message) : err);
        process.exit(1);
    },
);
