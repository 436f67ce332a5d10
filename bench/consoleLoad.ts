// The operator console in headless Chromium (issue 13): time from navigation to the calls list showing
// 100 calls, and to a 2,500-event call's timeline drawn; and the size of everything the page loads,
// compressed. Self-contained: its own Azurite, table and host, seeded through the app's own CallStore.
// `node dist/bench/consoleLoad.js` runs it alone.

import { createHash } from 'node:crypto';
import type { NewCallEvent } from '../shared/record/callModel';
import { CallStore } from '../shared/record/callStore';
import { ConsoleAssets } from '../shared/http/consoleAssets';
import { startAzurite } from '../dev/azurite';
import { launchChromium } from '../test/support/browser';
import { startHostProcess } from '../test/support/hostProcess';
import { TableClient } from '@azure/data-tables';
import { progress } from './progress';
import { median } from './statistics';

const TABLE = 'BenchConsole';
const CONSOLE_LIST_CALLS = 100;
export const CONSOLE_LONG_CALL_EVENTS = 2500;
const LONG_CALL = 'bench-console-long-call';

export interface ConsoleBenchResult {
    runs: number;
    /** Navigation start to the list's 100th row, in the page's own clock; median and every run. */
    listMs: { median: number; samples: number[] };
    /** Navigation start to the 2,500th mark of the timeline. */
    longTimelineMs: { median: number; samples: number[] };
    /** The page and its assets as served to a browser that accepts brotli. */
    assetBytes: { compressed: number; uncompressed: number; files: number };
}

export async function measureConsole(runs: number): Promise<ConsoleBenchResult> {
    const azurite = await startAzurite({ port: 0 });
    try {
        const table = TableClient.fromConnectionString(azurite.connectionString, TABLE, { allowInsecureConnection: true });
        await seed(new CallStore(table, { dedupeWindowSeconds: 600 }));
        const host = await startHostProcess({
            env: { AzureWebJobsStorage: azurite.connectionString, CallHistoryStorage: azurite.connectionString, CALL_HISTORY_TABLE: TABLE, CALLBACK_AUTH: 'disabled' },
        });
        const browser = await launchChromium();
        try {
            const list: number[] = [];
            const timeline: number[] = [];
            for (let run = 0; run < runs; run++) {
                list.push(await timeTo(browser, `${host.baseUrl}/console`, `table.calls tbody tr[data-call-id]`, CONSOLE_LIST_CALLS));
                timeline.push(await timeTo(browser, `${host.baseUrl}/console#/calls/${LONG_CALL}`, 'svg.timeline .mark', CONSOLE_LONG_CALL_EVENTS));
                progress(`console: run ${run + 1}/${runs}: list ${list.at(-1)?.toFixed(0)} ms, 2,500-event timeline ${timeline.at(-1)?.toFixed(0)} ms`);
            }
            return { runs, listMs: { median: median(list), samples: list }, longTimelineMs: { median: median(timeline), samples: timeline }, assetBytes: assetBytes() };
        } finally {
            await browser.close();
            await host.stop();
        }
    } finally {
        await azurite.stop();
    }
}

/** A fresh context (no cache) per run; the time is the page's `performance.now()` (since navigation start) once `count` elements exist. */
async function timeTo(browser: Awaited<ReturnType<typeof launchChromium>>, url: string, selector: string, count: number): Promise<number> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    try {
        const page = await context.newPage();
        await page.goto(url);
        // A locator, not waitForFunction: the page's Content-Security-Policy refuses Playwright's string predicates.
        await page
            .locator(selector)
            .nth(count - 1)
            .waitFor({ state: 'attached', timeout: 60_000 });
        return Number(await page.evaluate('performance.now()'));
    } finally {
        await context.close();
    }
}

async function seed(store: CallStore): Promise<void> {
    const start = Date.now() - 3600_000;
    const event = (callId: string, i: number, at: number, state?: string): NewCallEvent => ({
        kind: 'notification',
        resourceKind: state === undefined ? 'participants' : 'call',
        resourceUrl: `/communications/calls/${callId}${state === undefined ? '/participants' : ''}`,
        changeType: 'updated',
        receivedAt: new Date(at),
        dedupeKey: createHash('sha256').update(`${callId} ${i}`).digest('hex'),
        resourceData: JSON.stringify(state === undefined ? [{ id: `p${i % 5}` }] : { state }),
        ...(state === undefined ? {} : { callState: state }),
    });
    const calls = Array.from({ length: CONSOLE_LIST_CALLS }, (_, i) => `bench-console-call-${String(i).padStart(3, '0')}`);
    for (let i = 0; i < calls.length; i += 10) {
        await Promise.all(
            calls.slice(i, i + 10).map((callId, j) => {
                const at = start + (i + j) * 30_000;
                return store.appendCallEvents(callId, [event(callId, 0, at, 'establishing'), event(callId, 1, at + 800, 'established'), event(callId, 2, at + 900)]);
            }),
        );
    }
    const long = Array.from({ length: CONSOLE_LONG_CALL_EVENTS }, (_, i) => event(LONG_CALL, i, start + i * 1000, i % 50 === 0 ? 'established' : undefined));
    await store.appendCallEvents(LONG_CALL, long);
}

function assetBytes(): ConsoleBenchResult['assetBytes'] {
    const assets = ConsoleAssets.load();
    const answers = [assets.page('/api/console', 'br'), ...assets.assetNames.map((name) => assets.asset(name, 'br'))];
    const plain = [assets.page('/api/console', null), ...assets.assetNames.map((name) => assets.asset(name, null))];
    const size = (body: Uint8Array | string | undefined) => (typeof body === 'string' ? Buffer.byteLength(body) : (body?.byteLength ?? 0));
    return {
        compressed: answers.reduce((sum, answer) => sum + size(answer.body), 0),
        uncompressed: plain.reduce((sum, answer) => sum + size(answer.body), 0),
        files: answers.length,
    };
}

if (require.main === module) {
    measureConsole(Number(process.argv[2] ?? 5)).then(
        (result) => console.log(JSON.stringify(result, null, 2)),
        (err: unknown) => {
            console.error(err);
            process.exit(1);
        },
    );
}
