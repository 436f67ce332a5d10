// Starts OpenTelemetry for the app when its settings ask for it, and only then loads it: metrics and traces to
// Application Insights through the Azure Monitor exporter (signed in with the managed identity when ingestion is
// Entra-only), and, for local runs, a summary of the metrics printed every interval. Nothing here writes to the
// console in Azure (a console exporter would come back as duplicate logs through the Functions host), nothing
// instruments incoming HTTP (the Functions host already records every invocation as a request), and nothing is
// registered globally: spans get their parent passed (telemetry.ts says why), not from a context manager.

import type { TokenCredential } from '@azure/identity';
import type { Context, Meter, Span, Tracer } from '@opentelemetry/api';
import type { LoggerProvider } from '@opentelemetry/sdk-logs';
import type { Resource } from '@opentelemetry/resources';
import type { IMetricReader } from '@opentelemetry/sdk-metrics';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { CallRecordError } from '../errors';
import type { TelemetryConfig } from '../settings/config';
import { monitorCredential } from '../settings/credentials';
import type { MetricDefinition, SpanDefinition } from './catalogue';
import { summaryLine } from './localSummary';
import { useTelemetrySink, type InvocationTrace, type SinkSpan, type TelemetrySink } from './telemetry';

/** How often metrics go to Application Insights: the exporter's usual minute (one row per series per minute). */
const EXPORT_INTERVAL_MS = 60_000;
const INSTRUMENTATION_SCOPE = 'teams-call-record';

export interface RunningTelemetry {
    /**
     * Present when the worker sends its own logs to Application Insights (then the Functions host must be told not to
     * forward them too): one log line, at the Functions log level it was written with, in its invocation's trace.
     */
    sendLog?: (level: string, message: string, trace: InvocationTrace | undefined) => void;
    /** Exports what is pending and stops; the app's terminate hook calls it. */
    shutdown(): Promise<void>;
}

/** The Functions log levels as OpenTelemetry's severity numbers (@opentelemetry/api-logs SeverityNumber). */
const SEVERITY: Readonly<Record<string, number>> = { trace: 1, debug: 5, information: 9, warning: 13, error: 17, critical: 21 };

/**
 * Starts what `config` asks for and routes `record`/`inSpan` there; undefined (and nothing loaded) when it asks
 * for nothing.
 *
 * @param print where the local summary goes (a line at a time)
 * @example
 * const telemetry = startTelemetry(appConfig().telemetry, (line) => process.stdout.write(`${line}\n`));
 */
export function startTelemetry(config: TelemetryConfig, print: (line: string) => void): RunningTelemetry | undefined {
    if (config.azureMonitor === undefined && config.summarySeconds === undefined) return undefined;
    // Required here, not imported: without telemetry none of it is ever loaded (it is a few hundred modules). Each
    // require names its package literally, so the bundle `npm run package` makes contains it.
    const sdkMetrics = require('@opentelemetry/sdk-metrics') as typeof import('@opentelemetry/sdk-metrics');
    const { resourceFromAttributes } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
    const resource = resourceFromAttributes({
        'service.name': config.serviceName,
        ...(config.serviceInstanceId === undefined ? {} : { 'service.instance.id': config.serviceInstanceId }),
    });

    const readers: IMetricReader[] = [];
    const spanProcessors: SpanProcessor[] = [];
    let loggerProvider: LoggerProvider | undefined;
    if (config.azureMonitor !== undefined) {
        const exporters = require('@azure/monitor-opentelemetry-exporter') as typeof import('@azure/monitor-opentelemetry-exporter');
        const { BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
        const logs = require('@opentelemetry/sdk-logs') as typeof import('@opentelemetry/sdk-logs');
        const { connectionString, credential } = config.azureMonitor;
        const options = { connectionString, ...(credential === undefined ? {} : { credential: lazyCredential(() => monitorCredential(credential)) }) };
        readers.push(new sdkMetrics.PeriodicExportingMetricReader({ exporter: new exporters.AzureMonitorMetricExporter(options), exportIntervalMillis: EXPORT_INTERVAL_MS }));
        spanProcessors.push(new BatchSpanProcessor(new exporters.AzureMonitorTraceExporter(options)));
        loggerProvider = new logs.LoggerProvider({ resource, processors: [new logs.BatchLogRecordProcessor(new exporters.AzureMonitorLogExporter(options))] });
    }
    let stopSummary = async (): Promise<void> => undefined;
    if (config.summarySeconds !== undefined) {
        const summary = localSummary(sdkMetrics, config.summarySeconds, print);
        readers.push(summary.reader);
        stopSummary = summary.stop;
    }
    const running = startOpenTelemetry({ resource, readers, spanProcessors, ...(loggerProvider === undefined ? {} : { loggerProvider }) });
    return {
        ...running,
        async shutdown() {
            await stopSummary();
            await running.shutdown();
        },
    };
}

/** Where the app's telemetry goes: metric readers, span processors (none: no spans are made), and a log provider. */
export interface TelemetryPipeline {
    resource: Resource;
    readers: readonly IMetricReader[];
    spanProcessors: readonly SpanProcessor[];
    loggerProvider?: LoggerProvider;
}

/**
 * Routes `record`/`inSpan` to `pipeline` through OpenTelemetry's meter and tracer: what startTelemetry does with the
 * exporters the settings name, and what a test does with OpenTelemetry's in-memory exporters.
 *
 * @example
 * const telemetry = startOpenTelemetry({ resource, readers: [new PeriodicExportingMetricReader({ exporter })], spanProcessors: [new SimpleSpanProcessor(spans)] });
 */
export function startOpenTelemetry(pipeline: TelemetryPipeline): RunningTelemetry {
    const api = require('@opentelemetry/api') as typeof import('@opentelemetry/api');
    const sdkMetrics = require('@opentelemetry/sdk-metrics') as typeof import('@opentelemetry/sdk-metrics');
    const { resource, loggerProvider } = pipeline;
    const meterProvider = new sdkMetrics.MeterProvider({ resource, readers: [...pipeline.readers] });
    // Spans only where they are exported: a local summary is made of metrics.
    let tracer: Tracer | undefined;
    let stopTracing = async (): Promise<void> => undefined;
    if (pipeline.spanProcessors.length > 0) {
        const { BasicTracerProvider } = require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
        const tracerProvider = new BasicTracerProvider({ resource, spanProcessors: [...pipeline.spanProcessors] });
        tracer = tracerProvider.getTracer(INSTRUMENTATION_SCOPE);
        stopTracing = () => tracerProvider.shutdown();
    }
    const parentOf = invocationParent(api);
    useTelemetrySink(openTelemetrySink(api, meterProvider.getMeter(INSTRUMENTATION_SCOPE), tracer, parentOf));
    const logger = loggerProvider?.getLogger(INSTRUMENTATION_SCOPE);
    return {
        ...(logger === undefined
            ? {}
            : {
                  sendLog: (level: string, message: string, trace: InvocationTrace | undefined) =>
                      logger.emit({ body: message, severityNumber: SEVERITY[level] ?? 0, severityText: level, context: parentOf(trace) }),
              }),
        async shutdown() {
            useTelemetrySink(undefined);
            await Promise.all([meterProvider.shutdown(), stopTracing(), loggerProvider?.shutdown()]);
        },
    };
}

type OpenTelemetryApi = typeof import('@opentelemetry/api');
type Instrument = { add(value: number, attributes: Record<string, string>): void } | { record(value: number, attributes: Record<string, string>): void };

/**
 * A credential built on its first token request: the first export is a minute after start at the earliest (a few
 * seconds for spans), so @azure/identity stays out of the cold start.
 */
function lazyCredential(build: () => TokenCredential): TokenCredential {
    let credential: TokenCredential | undefined;
    return {
        getToken(scopes, options) {
            credential ??= build();
            return credential.getToken(scopes, options);
        },
    };
}

/** The context whose span is the invocation's (the W3C `traceparent` the host gives it); the root context without one. */
function invocationParent(api: OpenTelemetryApi): (trace: InvocationTrace | undefined) => Context {
    const { W3CTraceContextPropagator } = require('@opentelemetry/core') as typeof import('@opentelemetry/core');
    const propagator = new W3CTraceContextPropagator();
    return (trace) => {
        if (!trace?.traceParent) return api.ROOT_CONTEXT;
        const carrier = { traceparent: trace.traceParent, ...(trace.traceState ? { tracestate: trace.traceState } : {}) };
        return propagator.extract(api.ROOT_CONTEXT, carrier, api.defaultTextMapGetter);
    };
}

function openTelemetrySink(api: OpenTelemetryApi, meter: Meter, tracer: Tracer | undefined, parentOf: (trace: InvocationTrace | undefined) => Context): TelemetrySink {
    const instruments = new Map<string, Instrument>();
    const instrumentOf = (metric: MetricDefinition): Instrument => {
        let instrument = instruments.get(metric.name);
        if (instrument === undefined) {
            const options = { unit: metric.unit, description: metric.description };
            instrument =
                metric.kind === 'counter'
                    ? meter.createCounter(metric.name, options)
                    : metric.kind === 'histogram'
                      ? meter.createHistogram(metric.name, options)
                      : meter.createGauge(metric.name, options);
            instruments.set(metric.name, instrument);
        }
        return instrument;
    };
    return {
        record(metric, value, attributes) {
            const instrument = instrumentOf(metric);
            if ('add' in instrument) instrument.add(value, { ...attributes });
            else instrument.record(value, { ...attributes });
        },
        inSpan(definition, parent, work) {
            if (tracer === undefined) return work(UNTRACED);
            return runSpan(api, tracer, definition, parentOf(parent), work);
        },
    };
}

/** Spans where none are exported (a local summary): the work runs, nothing is kept. */
const UNTRACED: SinkSpan = { set: () => undefined, inChild: (_span, work) => work(UNTRACED) };

async function runSpan<T>(api: OpenTelemetryApi, tracer: Tracer, definition: SpanDefinition, parent: Context, work: (span: SinkSpan) => Promise<T>): Promise<T> {
    const span = tracer.startSpan(definition.name, { kind: api.SpanKind.INTERNAL }, parent);
    const running: SinkSpan = {
        set: (attributes) => span.setAttributes(attributes),
        inChild: (child, childWork) => runSpan(api, tracer, child, api.trace.setSpan(api.ROOT_CONTEXT, span), childWork),
    };
    try {
        return await work(running);
    } catch (err) {
        failed(api, span, err);
        throw err;
    } finally {
        span.end();
    }
}

/** A refusal (4xx) says so on its span; an outage or a defect also records the exception. */
function failed(api: OpenTelemetryApi, span: Span, err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    span.setStatus({ code: api.SpanStatusCode.ERROR, message: error.message.split('\n')[0] ?? '' });
    if (!(err instanceof CallRecordError) || err.status >= 500) span.recordException(error);
}

/**
 * The local summary: a metric reader of its own collected every `seconds` (deltas: what happened in the interval),
 * printed as one line even when nothing happened, so a quiet minute shows as quiet; and the last, shorter
 * interval once more when it stops.
 */
function localSummary(sdkMetrics: typeof import('@opentelemetry/sdk-metrics'), seconds: number, print: (line: string) => void) {
    class SummaryReader extends sdkMetrics.MetricReader {
        protected onForceFlush = (): Promise<void> => Promise.resolve();
        protected onShutdown = (): Promise<void> => Promise.resolve();
    }
    const reader = new SummaryReader({ aggregationTemporalitySelector: () => sdkMetrics.AggregationTemporality.DELTA });
    let since = performance.now();
    const show = async (): Promise<void> => {
        const { resourceMetrics } = await reader.collect();
        const now = performance.now();
        print(summaryLine(resourceMetrics, Math.max(1, Math.round((now - since) / 1000))));
        since = now;
    };
    const timer = setInterval(() => void show().catch(() => undefined), seconds * 1000);
    // The summary never keeps a process alive on its own.
    timer.unref();
    return {
        reader,
        stop: async (): Promise<void> => {
            clearInterval(timer);
            await show();
        },
    };
}
