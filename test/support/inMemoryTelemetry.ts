// The app's telemetry kept in memory, for tests in the test's own process: the same sink the app starts
// (startOpenTelemetry: OpenTelemetry's meter and tracer, instruments made from the catalogue), with OpenTelemetry's
// in-memory exporters in place of Application Insights'.

import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, InMemoryMetricExporter, PeriodicExportingMetricReader, type DataPoint, type Histogram } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { MetricDefinition } from '../../shared/telemetry/catalogue';
import { startOpenTelemetry } from '../../shared/telemetry/startTelemetry';

/** One data point of a metric: a counter's or a gauge's value, a histogram's count and sum. */
interface RecordedPoint {
    name: string;
    attributes: Record<string, string>;
    value: number;
    count: number;
}

export interface InMemoryTelemetry {
    /** Every data point so far (cumulative: a counter's total since the start). */
    points(): Promise<RecordedPoint[]>;
    /** The total of a metric's points whose attributes include `attributes` (a gauge: its last value). */
    total(metric: MetricDefinition, attributes?: Record<string, string>): Promise<number>;
    /** Every span ended so far. */
    spans(): ReadableSpan[];
    stop(): Promise<void>;
}

/**
 * @example
 * const telemetry = startInMemoryTelemetry();
 * // ... drive the app ...
 * assert.equal(await telemetry.total(METRICS.relayDeliveries, { attempt: 'inline', result: 'delivered' }), 1);
 */
export function startInMemoryTelemetry(): InMemoryTelemetry {
    const metrics = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    // Exported when the test asks (forceFlush), never on a timer during it.
    const reader = new PeriodicExportingMetricReader({ exporter: metrics, exportIntervalMillis: 3_600_000 });
    const spans = new InMemorySpanExporter();
    const running = startOpenTelemetry({
        resource: resourceFromAttributes({ 'service.name': 'in-memory-test' }),
        readers: [reader],
        spanProcessors: [new SimpleSpanProcessor(spans)],
    });
    const points = async (): Promise<RecordedPoint[]> => {
        await reader.forceFlush();
        const latest = metrics.getMetrics().at(-1);
        return (latest?.scopeMetrics ?? []).flatMap((scope) =>
            scope.metrics.flatMap((metric) =>
                (metric.dataPoints as Array<DataPoint<number | Histogram>>).map((point) => ({
                    name: metric.descriptor.name,
                    attributes: Object.fromEntries(Object.entries(point.attributes).map(([name, value]) => [name, String(value)])),
                    value: typeof point.value === 'number' ? point.value : (point.value.sum ?? 0),
                    count: typeof point.value === 'number' ? 1 : point.value.count,
                })),
            ),
        );
    };
    return {
        points,
        async total(metric, attributes = {}) {
            return (await points())
                .filter((point) => point.name === metric.name && Object.entries(attributes).every(([name, value]) => point.attributes[name] === value))
                .reduce((sum, point) => sum + point.value, 0);
        },
        spans: () => spans.getFinishedSpans() as ReadableSpan[],
        stop: () => running.shutdown(),
    };
}
