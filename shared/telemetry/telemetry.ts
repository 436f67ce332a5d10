// Recording a measurement or a span, typed against the catalogue: a metric takes exactly the attributes and values
// its entry lists. Until telemetry is started (startTelemetry.ts) every call here does nothing and loads nothing, so
// an app without a connection string pays one check per measurement.
//
// A span's parent is passed, never taken from an "active" context: the invocation's trace context (the host's
// `traceparent`) for a top span, the span itself for its steps. Keeping an active context across awaits needs
// Node's AsyncLocalStorage, which on Node 20 hooks every promise of the process: measured, it cost the callback
// 40 to 70% more CPU per notification (bench/README.md), for what one argument does.

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

/**
 * The trace an invocation belongs to, as the Functions host gives it (`InvocationContext.traceContext`): the
 * parent of the spans the invocation makes.
 */
export interface InvocationTrace {
    traceParent?: string | null | undefined;
    traceState?: string | null | undefined;
}

/** What a running span lets the code inside it do: say more about it, and run a step of it as a child span. */
export interface SpanRecorder<S extends SpanDefinition> {
    set(attributes: SpanAttributes<S>): void;
    inChild<C extends SpanDefinition, T>(span: C, work: (recorder: SpanRecorder<C>) => Promise<T>): Promise<T>;
}

/** What a step that runs as a child of whichever span called it needs: only to start its child span. */
export type SpanParent = Pick<SpanRecorder<SpanDefinition>, 'inChild'>;

/** A span as the sink runs it: attributes, and children. */
export interface SinkSpan {
    set(attributes: Readonly<Record<string, string | number>>): void;
    inChild<T>(span: SpanDefinition, work: (child: SinkSpan) => Promise<T>): Promise<T>;
}

/** Where measurements and spans go once telemetry is started: OpenTelemetry's meter and tracer (startTelemetry.ts). */
export interface TelemetrySink {
    record(metric: MetricDefinition, value: number, attributes: Readonly<Record<string, string>>): void;
    inSpan<T>(span: SpanDefinition, parent: InvocationTrace | undefined, work: (span: SinkSpan) => Promise<T>): Promise<T>;
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

/** What spans are while telemetry is off: the work runs, nothing is kept. */
const IGNORED: SinkSpan = { set: () => undefined, inChild: (_span, work) => work(IGNORED) };

/**
 * Runs `work` inside a span, a child of the invocation's trace when `parent` is given; `work` runs its steps as
 * children with `recorder.inChild`. A failure marks the span failed and is thrown on as it was.
 *
 * @example
 * await inSpan(SPANS.callback, context.traceContext, async (span) => {
 *     const caller = await span.inChild(SPANS.callbackVerify, () => verifier.verify(authorization));
 * });
 */
export function inSpan<S extends SpanDefinition, T>(span: S, parent: InvocationTrace | undefined, work: (recorder: SpanRecorder<S>) => Promise<T>): Promise<T> {
    if (sink === undefined) return work(recorderOf<S>(IGNORED));
    return sink.inSpan(span, parent, (running) => work(recorderOf<S>(running)));
}

function recorderOf<S extends SpanDefinition>(span: SinkSpan): SpanRecorder<S> {
    return {
        set: (attributes) => span.set(definedOnly(attributes)),
        inChild: (child, work) => span.inChild(child, (running) => work(recorderOf(running))),
    };
}

function definedOnly(attributes: Readonly<Record<string, string | number | undefined>>): Record<string, string | number> {
    return Object.fromEntries(Object.entries(attributes).filter((entry): entry is [string, string | number] => entry[1] !== undefined));
}
