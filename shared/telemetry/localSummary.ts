// The local summary `npm start -- --telemetry` prints: one line per interval with every metric that has data,
// labelled and broken down as the catalogue describes it. Only the app's own metrics (the catalogue's names) are
// shown; nothing here needs OpenTelemetry loaded, only the shape of what its metric reader collects.

import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { METRICS, type MetricDefinition } from './catalogue';

interface Point {
    attributes: Readonly<Record<string, unknown>>;
    value: number | { sum?: number; count: number; max?: number };
}

const BY_NAME = new Map<string, MetricDefinition>(Object.values(METRICS).map((metric) => [metric.name, metric]));

/**
 * @example
 * summaryLine(collected, 60) // 'Telemetry, last 60 s: callbacks 3 (202: 2, 401 audience: 1); acknowledged in 12 ms on average, 30 ms at most; ...'
 */
export function summaryLine(metrics: ResourceMetrics, seconds: number): string {
    const parts: string[] = [];
    for (const scope of metrics.scopeMetrics) {
        for (const metric of scope.metrics) {
            const definition = BY_NAME.get(metric.descriptor.name);
            const points = metric.dataPoints as readonly Point[];
            if (definition === undefined || points.length === 0) continue;
            parts.push(describe(definition, points));
        }
    }
    return `Telemetry, last ${seconds} s: ${parts.length === 0 ? 'nothing recorded.' : `${parts.join('; ')}.`}`;
}

function describe(metric: MetricDefinition, points: readonly Point[]): string {
    switch (metric.kind) {
        case 'histogram': {
            const stats = points.map((point) => (typeof point.value === 'number' ? { sum: point.value, count: 1, max: point.value } : point.value));
            const count = stats.reduce((total, s) => total + s.count, 0);
            const sum = stats.reduce((total, s) => total + (s.sum ?? 0), 0);
            const max = Math.max(...stats.map((s) => s.max ?? 0));
            return `${metric.label} ${round(sum / Math.max(count, 1))} ${metric.unit} on average, ${round(max)} ${metric.unit} at most (${count})`;
        }
        case 'gauge':
            return `${metric.label} ${countOf(points.at(-1) as Point)}`;
        case 'counter': {
            const total = points.reduce((sum, point) => sum + countOf(point), 0);
            const names = Object.keys(metric.attributes);
            if (names.length === 0) return `${metric.label} ${total}`;
            const breakdown = points
                .map((point) => `${names.flatMap((name) => (point.attributes[name] === undefined ? [] : [String(point.attributes[name])])).join(' ')}: ${countOf(point)}`)
                .sort();
            return metric.overlapping ? `${metric.label} ${breakdown.join(', ')}` : `${metric.label} ${total} (${breakdown.join(', ')})`;
        }
    }
}

function countOf(point: Point): number {
    return typeof point.value === 'number' ? point.value : (point.value.sum ?? 0);
}

function round(value: number): number {
    return value < 10 ? Math.round(value * 10) / 10 : Math.round(value);
}
