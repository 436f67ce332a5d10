// Measurement 4, cost growth: the time to store one notification for a call whose history already holds
// 1,000 events, over the same for a call that has just started (one event). Each repetition starts both
// calls afresh, then writes to them alternately, one at a time, so drift (a warming JIT, a growing table,
// other load on the machine) hits both alike and the long call stays near 1,000 events.

import { odata, type TableClient } from '@azure/data-tables';
import { performance } from 'node:perf_hooks';
import { markerKeyOf } from '../shared/record/appendPlan';
import { DEDUPE_ROW_PREFIX, EVENT_ROW_PREFIX, markersFromEntity } from '../shared/record/tableEntities';
import type { CallbackLoad } from './callbackLoad';
import { createFloorPartition, fillFloorPartition, writeOneEvent } from './minimalWrite';
import { benchCallIds } from './notificationBodies';
import { median } from './statistics';

export const LONG_HISTORY = 1000;

interface GrowthSample {
    /** Median milliseconds per notification for the call with the long history. */
    longMs: number;
    /** The same for the new call. */
    newMs: number;
    ratio: number;
}

/** Something that can start a call with a given history and then store one more notification for it. */
/** A growth measurement repeated: the median sample, and each repetition's ratio. */
export interface GrowthSummary extends GrowthSample {
    /** One per repetition. */
    ratios: number[];
}

export interface GrowthSubject {
    startCall(events: number): Promise<() => Promise<void>>;
}

/**
 * @example
 * const { ratio } = await measureGrowth(new AppGrowth(load), 100);
 */
async function measureGrowth(subject: GrowthSubject, writesPerCall: number): Promise<GrowthSample> {
    const writeLong = await subject.startCall(LONG_HISTORY);
    const writeNew = await subject.startCall(1);
    const longMs: number[] = [];
    const newMs: number[] = [];
    const timed = async (write: () => Promise<void>, into: number[]) => {
        const started = performance.now();
        await write();
        into.push(performance.now() - started);
    };
    for (let i = 0; i < writesPerCall; i++) {
        // Alternate which goes first, so neither always follows the other's write.
        const pair: Array<[() => Promise<void>, number[]]> = [
            [writeLong, longMs],
            [writeNew, newMs],
        ];
        if (i % 2 === 1) pair.reverse();
        for (const [write, into] of pair) await timed(write, into);
    }
    const sample = { longMs: median(longMs), newMs: median(newMs) };
    return { ...sample, ratio: sample.longMs / sample.newMs };
}

/** Through POST /api/callback of the host: the app's whole ingest path. The history is built through the app too. */
export class AppGrowth implements GrowthSubject {
    private readonly load: CallbackLoad;
    /** The calls started with a long history, for `measureMarkerWeight`. */
    readonly longCalls: string[] = [];

    constructor(load: CallbackLoad) {
        this.load = load;
    }

    async startCall(events: number): Promise<() => Promise<void>> {
        const callId = benchCallIds('growth', 1)[0] ?? 'growth';
        if (events > 1) this.longCalls.push(callId);
        for (let stored = 0; stored < events; stored += 10) {
            await this.load.post(0, callId, Math.min(10, events - stored));
        }
        return () => this.load.post(0, callId, 1);
    }
}

/**
 * Storage alone on the same Azurite: does the table itself slow down as a partition grows? `floor` writes
 * the floor's rows (summary and event); `app-rows` writes what the app writes per notification (summary,
 * event and a redelivery marker), on a partition that holds an event and a marker per earlier notification.
 */
export class StorageGrowth implements GrowthSubject {
    private readonly table: TableClient;
    private readonly withMarkers: boolean;

    constructor(table: TableClient, rows: 'floor' | 'app-rows') {
        this.table = table;
        this.withMarkers = rows === 'app-rows';
    }

    async startCall(events: number): Promise<() => Promise<void>> {
        const partition = await createFloorPartition(this.table, benchCallIds('floorgrowth', 1)[0] ?? 'floorgrowth', { withMarkers: this.withMarkers });
        await fillFloorPartition(this.table, partition, events);
        return () => writeOneEvent(this.table, partition);
    }
}

/** `repetitions` fresh pairs of calls; medians over them. */
export async function repeatGrowth(subject: GrowthSubject, repetitions: number, writesPerCall: number): Promise<GrowthSummary> {
    const samples: GrowthSample[] = [];
    for (let i = 0; i < repetitions; i++) samples.push(await measureGrowth(subject, writesPerCall));
    return {
        longMs: median(samples.map((s) => s.longMs)),
        newMs: median(samples.map((s) => s.newMs)),
        ratio: median(samples.map((s) => s.ratio)),
        ratios: samples.map((s) => s.ratio),
    };
}

/** What the redelivery markers of the long calls hold and weigh, read back from the table after the measurement. */
export interface MarkerWeight {
    /** Stored events received within the window (all of them here), and how many of their keys the marker rows hold. */
    keysInWindow: number;
    keysFound: number;
    /** Marker rows per call, and the keys one holds (mean). */
    markerRowsPerCall: number;
    keysPerRow: number;
    /** A write replaces one marker row: its size (mean over the rows that take keys), beside the event row it adds. */
    markerBytesPerWrite: number;
    eventBytesPerWrite: number;
}

/**
 * @example
 * const weight = await measureMarkerWeight(table, growth.longCalls, 600); // { keysInWindow: 1100, keysFound: 1100, ... }
 */
export async function measureMarkerWeight(table: TableClient, callIds: readonly string[], windowSeconds: number): Promise<MarkerWeight> {
    const since = Date.now() - windowSeconds * 1000;
    let keysInWindow = 0;
    let keysFound = 0;
    const markerRowSizes: number[] = [];
    const eventRowSizes: number[] = [];
    let markerRows = 0;
    let keysInRows = 0;
    for (const callId of callIds) {
        const held = new Set<string>();
        const events: Array<{ key: string; at: number }> = [];
        for await (const row of table.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${callId}` } })) {
            const rowKey = String(row.rowKey);
            if (rowKey.startsWith(DEDUPE_ROW_PREFIX)) {
                const marker = markersFromEntity(row);
                markerRows += 1;
                keysInRows += marker.entries.size;
                for (const key of marker.entries.keys()) held.add(key);
                if (marker.splitAt === undefined) markerRowSizes.push(String(row.keys ?? '').length);
            } else if (rowKey.startsWith(EVENT_ROW_PREFIX)) {
                eventRowSizes.push(Buffer.byteLength(JSON.stringify(row)));
                if (typeof row.dedupeKey === 'string' && row.receivedAt instanceof Date) events.push({ key: markerKeyOf(row.dedupeKey), at: row.receivedAt.getTime() });
            }
        }
        const inWindow = events.filter((event) => event.at >= since);
        keysInWindow += inWindow.length;
        keysFound += inWindow.filter((event) => held.has(event.key)).length;
    }
    return {
        keysInWindow,
        keysFound,
        markerRowsPerCall: markerRows / Math.max(1, callIds.length),
        keysPerRow: keysInRows / Math.max(1, markerRows),
        markerBytesPerWrite: mean(markerRowSizes),
        eventBytesPerWrite: mean(eventRowSizes),
    };
}

function mean(values: readonly number[]): number {
    return values.length === 0 ? Number.NaN : values.reduce((sum, value) => sum + value, 0) / values.length;
}
