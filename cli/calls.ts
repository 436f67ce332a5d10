#!/usr/bin/env node
// `calls`: the call record from a terminal. Reads the table directly with the app's settings and the
// same queries as the HTTP API; --json prints the API's shapes for scripts.

import os from 'node:os';
import path from 'node:path';
import type { TableClient } from '@azure/data-tables';
import { type CommandLineRequester, requestAudit } from '../shared/access/requester';
import { callEventJson, callListPageJson, callSummaryJson, historyPageJson } from '../shared/query/callJson';
import type { CallEvent, CallSummary } from '../shared/record/callModel';
import { CallStore } from '../shared/record/callStore';
import { replayCall } from '../shared/relay/replay';
import { RelayQueue } from '../shared/relay/relayQueue';
import { createQueueClient } from '../shared/settings/queueClient';
import { listCalls, type CallListPage } from '../shared/query/callList';
import { getCall, listCallHistory, listUnroutedNotifications, type HistoryPage } from '../shared/query/callQueries';
import { DEFAULTS, loadCallRecordsConfig, loadRelayConfig, loadStorageConfig, participantDetailsSetting, type StorageConfig } from '../shared/settings/config';
import { CallRecordBlobs } from '../shared/callRecords/callRecordBlobs';
import { createContainerClient } from '../shared/settings/blobClient';
import { CallRecordError } from '../shared/errors';
import { DEFAULT_TOP, MAX_TOP, type CallListOptions, type PageOptions } from '../shared/query/queryOptions';
import { purgeCalls } from '../shared/lifecycle/purgeCalls';
import { reindexCalls, type ReindexProgress } from '../shared/lifecycle/reindexCalls';
import { createTableClient } from '../shared/settings/tableClient';
import { HELP, parseArguments, type CallsCommand } from './arguments';
import { showCallEvents } from './callEventsCommand';
import { runDoctor } from './doctorCommand';
import { causeOf, CliError, EXIT, type ExitCode } from './cliError';
import { describeStorage, fromLocalRun, loadCliConfig } from './settings';
import { formatCallList, formatParticipantQuality, formatParticipants, formatRelayStatus, formatSummary, formatTimeline } from './timeline';
import { listParticipants, participantListJson } from '../shared/participants/participantQueries';
import type { ParticipantDetails } from '../shared/participants/participantModel';

async function main(args: readonly string[]): Promise<ExitCode> {
    const command = parseArguments(args, new Date());
    if (command.name === 'help') {
        // Without a command there is nothing to do: that is a mistake, like any other usage error.
        (command.asked ? process.stdout : process.stderr).write(HELP);
        return command.asked ? EXIT.ok : EXIT.usage;
    }
    if (command.name === 'events') {
        await showCallEvents(command);
        return EXIT.ok;
    }
    if (command.name === 'doctor') return runDoctor(command);
    const storage = storageSettings();
    try {
        process.stdout.write(await run(command, createTableClient(storage)));
        return EXIT.ok;
    } catch (err) {
        if (err instanceof CallRecordError && err.status >= 500) {
            throw new CliError(EXIT.failed, `Cannot read ${describeStorage(storage)}: ${causeOf(err) ?? err.message}`);
        }
        throw err;
    }
}

async function run(command: Exclude<CallsCommand, { name: 'help' | 'events' | 'doctor' }>, table: TableClient): Promise<string> {
    switch (command.name) {
        case 'show': {
            const summary = await getCall(table, command.callId);
            if (command.json) return json(callSummaryJson(summary));
            // Who was in it and how well, as the console's call view shows it.
            const roster = summary.participantCount === undefined ? '' : `\n${formatParticipants(await listParticipants(table, command.callId, participantDetails()))}`;
            return `${formatSummary(summary)}${roster}${formatParticipantQuality(summary)}`;
        }
        case 'participants': {
            const list = await listParticipants(table, command.callId, participantDetails());
            return command.json ? json(participantListJson(list)) : formatParticipants(list);
        }
        case 'history': {
            if (command.json) {
                return json(historyPageJson({ callId: command.callId, events: await allEvents((page) => listCallHistory(table, command.callId, page)) }));
            }
            const summary = await getCall(table, command.callId);
            const events = await allEvents((page) => listCallHistory(table, command.callId, page));
            return `${formatSummary(summary)}\n${formatTimeline(events)}`;
        }
        case 'unrouted': {
            const events = await allEvents((page) => listUnroutedNotifications(table, page));
            if (command.json) return json({ events: events.map(callEventJson) });
            return events.length === 0 ? 'No unrouted notifications: every notification stored so far was attributed to its call.\n' : formatTimeline(events);
        }
        case 'list': {
            const page = await callsUpTo(table, command.options);
            if (command.json) return json(callListPageJson(page));
            if (page.calls.length === 0 && page.continuationToken === undefined) {
                return command.filters.length === 0 && command.options.continuationToken === undefined ? 'No calls are recorded.\n' : 'No calls match.\n';
            }
            const next: Array<[string, string?]> = [...command.filters, ['--continuation-token', page.continuationToken ?? '']];
            const words = next.map(([option, value]) => (value === undefined ? option : `${option} ${shellWord(value)}`));
            const more = page.continuationToken === undefined ? '' : `\nMore calls:\n  ${invokedAs()} list ${words.join(' ')}\n`;
            return `${page.calls.length === 0 ? 'No calls on this page.\n' : formatCallList(page.calls)}${more}`;
        }
        case 'reindex':
            return reindex(table, command.restart);
        case 'purge':
            return purge(table, command.olderThanDays, command.dryRun, command.json);
        case 'relayStatus': {
            const summary = await getCall(table, command.callId);
            const events = await allEvents((page) => listCallHistory(table, command.callId, page));
            if (command.json) return json(relayStatusJson(summary, events));
            return formatRelayStatus(summary, events);
        }
        case 'relayReplay':
            return replay(table, command.callId, command.fromSequence, command.reason, command.json);
    }
}

/** `calls reindex`: one pass, progress on stderr about once a second; Ctrl-C ends it after the page in progress. */
async function reindex(table: TableClient, restart: boolean): Promise<string> {
    const stop = new AbortController();
    const onSignal = () => {
        process.stderr.write('\ncalls reindex: stopping after this page; run it again to go on.\n');
        stop.abort();
    };
    process.once('SIGINT', onSignal);
    let shownAt = 0;
    try {
        const result = await reindexCalls(table, {
            restart,
            signal: stop.signal,
            onProgress: (progress) => {
                if (Date.now() - shownAt < 1000 && progress.fraction !== 1) return;
                shownAt = Date.now();
                process.stderr.write(`calls reindex: ${describeProgress(progress)}\n`);
            },
        });
        if (!result.finished) throw new CliError(EXIT.failed, `interrupted after ${result.calls} calls; run calls reindex again to go on from there.`);
        return `Indexed ${result.calls} calls${result.resumed ? ' (this run went on from an interrupted one)' : ''}.\n`;
    } finally {
        process.off('SIGINT', onSignal);
    }
}

function describeProgress(progress: ReindexProgress): string {
    const seconds = Math.max(0.001, (Date.now() - progress.startedAt.getTime()) / 1000);
    const rate = progress.callsThisRun / seconds;
    const parts = [`${progress.calls} calls indexed`, `${Math.round(rate)} calls/s`];
    if (progress.fraction !== undefined && progress.fraction > 0 && progress.fraction < 1 && rate > 0) {
        // Graph's call ids are GUIDs, spread evenly: how far the pass is through the key space says how far it is.
        const total = progress.calls / progress.fraction;
        parts.push(`about ${Math.round(progress.fraction * 100)}% done`, `ETA ${duration((total - progress.calls) / rate)}`);
    }
    return parts.join(', ');
}

function duration(seconds: number): string {
    const s = Math.max(0, Math.round(seconds));
    return s < 60
        ? `${s}s`
        : s < 3600
          ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
          : `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** `calls purge`: the calls that go, one line each (in a dry run, what would go), then the totals. */
async function purge(table: TableClient, olderThanDays: number, dryRun: boolean, asJson: boolean): Promise<string> {
    const lines: string[] = [];
    const gone: Array<{ callId: string; firstEventAt: string; rows: number }> = [];
    const result = await purgeCalls(table, {
        olderThanDays,
        dryRun,
        // By hand nothing stops at the timer's bounds: the command runs until everything older is gone.
        maxCalls: Number.MAX_SAFE_INTEGER,
        timeBudgetMs: Number.MAX_SAFE_INTEGER,
        ...recordBlobsForgetter(),
        onCall: (call) => {
            gone.push({ callId: call.callId, firstEventAt: call.firstEventAt.toISOString(), rows: call.rows });
            if (!asJson) {
                const line = `${call.callId}  started ${call.firstEventAt.toISOString()}  ${call.rows} rows`;
                if (dryRun) lines.push(line);
                else process.stderr.write(`calls purge: deleted ${line}\n`);
            }
        },
    });
    if (asJson) return json({ cutoff: result.cutoff.toISOString(), dryRun, calls: gone, unroutedRows: result.unroutedRows });
    const verb = dryRun ? 'Would delete' : 'Deleted';
    const summary = `${verb} ${result.calls} ended calls that started before ${result.cutoff.toISOString()} (${result.rows} rows) and ${result.unroutedRows} unrouted notifications.\n`;
    return `${lines.length > 0 ? `${lines.join('\n')}\n` : ''}${summary}`;
}

/**
 * `calls relay replay`: the rewind and its retry message, as `POST /api/calls/{callId}/relay` does them. The
 * history names who asked as this account on this machine: the command line reaches the storage with its own
 * credentials, not through the app's sign-in.
 */
async function replay(table: TableClient, callId: string, fromSequence: number, reason: string | undefined, asJson: boolean): Promise<string> {
    const { config } = loadCliConfig(loadRelayConfig);
    if (config === undefined) {
        throw new CliError(
            EXIT.usage,
            'the relay is off in these settings (RELAY_URL is not set), so nothing would deliver a replay. Run it with the settings of an app whose relay is on.',
        );
    }
    const store = new CallStore(table, { dedupeWindowSeconds: DEFAULTS.dedupeWindowSeconds });
    const requester: CommandLineRequester = { kind: 'commandLine', id: `${os.userInfo().username}@${os.hostname()}` };
    const audit = requestAudit(requester, reason);
    const result = await replayCall({ store, queue: new RelayQueue(() => createQueueClient(config.queue)) }, callId, fromSequence, audit);
    if (asJson) return json(result);
    return `Replay of call ${callId} from sequence ${result.fromSequence} scheduled: ${result.relayPending} notifications pending, delivered by the app's relayRetries function (queue ${config.queue.queueName}). Follow it with: calls relay status ${callId}\n`;
}

/** The relay's part of a call, as JSON: its summary fields and each notification's delivery. */
function relayStatusJson(summary: CallSummary, events: readonly CallEvent[]): Record<string, unknown> {
    const relay = Object.fromEntries(Object.entries(callSummaryJson(summary)).filter(([name]) => name.startsWith('relay')));
    const deliveries = events
        .filter((event) => event.kind === 'notification')
        .map((event) => Object.fromEntries(Object.entries(callEventJson(event)).filter(([name]) => name === 'sequence' || name.startsWith('relay'))));
    return { callId: summary.callId, ...relay, notifications: deliveries };
}

/** Every page of a partition's history, with the largest pages the table gives. */
async function allEvents(page: (options: PageOptions) => Promise<HistoryPage>): Promise<CallEvent[]> {
    const events: CallEvent[] = [];
    let continuationToken: string | undefined;
    do {
        const next = await page({ top: MAX_TOP, ...(continuationToken === undefined ? {} : { continuationToken }) });
        events.push(...next.events);
        continuationToken = next.continuationToken;
    } while (continuationToken !== undefined);
    return events;
}

/** Pages until `top` calls are found or none are left; the table may answer with short or empty pages. */
async function callsUpTo(table: TableClient, options: CallListOptions): Promise<CallListPage> {
    const top = options.top ?? DEFAULT_TOP;
    const calls: CallListPage['calls'] = [];
    let continuationToken = options.continuationToken;
    do {
        const page = await listCalls(table, { ...options, top: top - calls.length, ...(continuationToken === undefined ? {} : { continuationToken }) });
        calls.push(...page.calls);
        continuationToken = page.continuationToken;
    } while (continuationToken !== undefined && calls.length < top);
    return { calls, ...(continuationToken === undefined ? {} : { continuationToken }) };
}

/** With CALL_RECORDS=on in the settings, the purge deletes the calls' records in Blob Storage too, as the timer does. */
function recordBlobsForgetter(): { forgetOutsideTable?: (callId: string) => Promise<unknown> } {
    const records = loadCliConfig(loadCallRecordsConfig).config;
    if (records === undefined) return {};
    const blobs = new CallRecordBlobs(() => createContainerClient(records.blobs));
    return { forgetOutsideTable: (callId) => blobs.deleteOthers(callId) };
}

/** `PARTICIPANT_DETAILS` as the app has it: with `ids`, the command line shows no names either. */
function participantDetails(): ParticipantDetails {
    return loadCliConfig(participantDetailsSetting).config;
}

function storageSettings(): StorageConfig {
    const { config: storage, settings } = loadCliConfig(loadStorageConfig);
    const note = storage.kind === 'connectionString' ? fromLocalRun(settings, storage.setting, storage.connectionString) : undefined;
    if (note !== undefined) process.stderr.write(`calls: ${note}.\n`);
    return storage;
}

/** How to run this command again, as the user ran it: through npm, as the installed `calls`, or with node. */
function invokedAs(): string {
    if (process.env.npm_lifecycle_event === 'calls') return 'npm run calls --';
    const script = process.argv[1] ?? 'calls';
    return path.basename(script) === 'calls' ? 'calls' : `node ${shellWord(path.relative(process.cwd(), script) || script)}`;
}

/** A value as one shell word: quoted unless it is plain. */
function shellWord(value: string): string {
    return /^[\w.:+=/@%,-]+$/.test(value) ? value : `'${value.replace(/'/g, "'\\''")}'`;
}

function json(value: unknown): string {
    return `${JSON.stringify(value, null, 2)}\n`;
}

main(process.argv.slice(2)).then(
    (code) => {
        process.exitCode = code;
    },
    (err: unknown) => {
        if (err instanceof CliError) {
            process.stderr.write(`calls: ${err.message}\n`);
            process.exitCode = err.exitCode;
        } else if (err instanceof CallRecordError) {
            // 404 unknown call, 400 from the queries: the answer the API would give, without a stack.
            process.stderr.write(`calls: ${err.message}\n`);
            process.exitCode = err.status === 400 ? EXIT.usage : EXIT.failed;
        } else {
            process.stderr.write(`calls: unexpected failure: ${err instanceof Error ? err.message : String(err)}\n`);
            process.exitCode = EXIT.failed;
        }
    },
);
