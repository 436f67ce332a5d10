// Recording a measurement or a span, typed against the catalogue: a metric takes exactly the attributes and values
// its entry lists. Until telemetry is started (startTelemetry.ts) every call here does nothing and loads nothing, so
// an app without a connection string pays one check per measurement.

import type { MetricDefinition, SpanDefinition } from './catalogue';

type AttributeValue<A> = A extends { readonly values: readonly (infer V)[] } ? V : string;
type RequiredNames<T> = { [K in keyof T]: T[K] extends { readonly optional: true } ? never : K }[keyof T];

/** The attributes a metric's data point takes: the required ones, the optional ones, and their listed values only. */
export type MetricAttributes<M extends MetricDefinition> = { [K in RequiredNames<M['attributes']>]: AttributeValue<M['attributes'][K]> } & {
    [K in Exclude<keyof M['attributes'], RequiredNames<M['attributes']>>]?: AttributeValue<M['attributes'][K]>;
};

type SpanAttributes<S extends SpanDefinition> = {
    [K in keyof S['attributes']]?: S['attributes'][K] extends { readonly type: 'number' } ? number : AttributeValue<S['attributes'][K]>;
};

/** What a running span lets the code inside it say. */
export interface SpanRecorder<S extends SpanDefinition> {
    set(attributes: SpanAttributes<S>): void;
}

/** Where measurements and spans go once telemetry is started: OpenTelemetry's meter and tracer (startTelemetry.ts). */
export interface TelemetrySink {
    record(metric: MetricDefinition, value: number, attributes: Readonly<Record<string, string>>): void;
    inSpan<T>(span: SpanDefinition, run: (set: (attributes: Readonly<Record<string, string | number>>) => void) => Promise<T>): Promise<T>;
}

let sink: TelemetrySink | undefined;

/** Sends what is recorded from now on to `next` (undefined: nowhere again). */
export function useTelemetrySink(next: TelemetrySink | undefined): void {
    sink = next;
}

/**
 * Adds to a counter, or records a value of a histogram or a gauge.
 *
 * @example
 * record(METRICS.callbackRequests, { status: '401', reason: 'audience' });
 * record(METRICS.callbackDuration, { status: '202' }, elapsedMs);
 */
export function record<M extends MetricDefinition>(metric: M, attributes: MetricAttributes<M>, value = 1): void {
    sink?.record(metric, value, attributes as Record<string, string>);
}

const IGNORED: SpanRecorder<SpanDefinition> = { set: () => undefined };

/**
 * Runs `work` inside a span (a child of the span active now, so a callback's steps share its trace); a failure
 * marks the span failed and is thrown on as it was.
 *
 * @example
 * const caller = await inSpan(SPANS.callbackVerify, () => verifier.verify(authorization));
 */
export function inSpan<S extends SpanDefinition, T>(span: S, work: (recorder: SpanRecorder<S>) => Promise<T>): Promise<T> {
    if (sink === undefined) return work(IGNORED as SpanRecorder<S>);
    return sink.inSpan(span, (set) => work({ set: (attributes) => set(definedOnly(attributes)) }));
}

function definedOnly(attributes: Readonly<Record<string, string | number | undefined>>): Record<string, string | number> {
    return Object.fromEntries(Object.entries(attributes).filter((entry): entry is [string, string | number] => entry[1] !== undefined));
}
