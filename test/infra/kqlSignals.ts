// What an alert or workbook query asks of the app's metrics, held against the telemetry catalogue: the metric
// names it filters on (every "callrecord.*" literal), the attributes it reads (`Properties.x`, `Properties["x"]`)
// and the values it compares them with (`==`, `!=`, `in (...)`, `startswith`). A query that names a metric, an
// attribute or a value the catalogue does not list would watch something the app never writes.

import type { MetricDefinition } from '../../shared/telemetry/catalogue';

const METRIC_NAME = /"(callrecord\.[^"]*)"/g;
const ATTRIBUTE = /Properties(?:\.(\w+)|\["(\w+)"\])/g;
const COMPARISON = /tostring\(Properties(?:\.(\w+)|\["(\w+)"\])\)\s*(==|!=|startswith|in)\s*(\([^)]*\)|"[^"]*")/g;

/**
 * Everything in `query` that the catalogue does not back; empty when the query only reads what the app writes.
 *
 * @example
 * problemsOf('AppMetrics | where Name == "callrecord.callback.requests" and tostring(Properties.status) == "401"', catalogue) // []
 */
export function problemsOf(query: string, catalogue: readonly MetricDefinition[]): string[] {
    const problems: string[] = [];
    const byName = new Map(catalogue.map((metric) => [metric.name as string, metric]));
    const named = [...new Set([...query.matchAll(METRIC_NAME)].map((match) => match[1] as string))];
    if (named.length === 0) problems.push('it names no metric of the app');
    const metrics = named.flatMap((name) => {
        const metric = byName.get(name);
        if (metric === undefined) problems.push(`metric ${name} is not in the catalogue`);
        return metric === undefined ? [] : [metric];
    });
    const definitionsOf = (attribute: string) => metrics.flatMap((metric) => (metric.attributes as Record<string, { values?: readonly string[] }>)[attribute] ?? []);
    for (const match of query.matchAll(ATTRIBUTE)) {
        const attribute = (match[1] ?? match[2]) as string;
        if (definitionsOf(attribute).length === 0) problems.push(`attribute ${attribute} belongs to none of ${named.join(', ')}`);
    }
    for (const match of query.matchAll(COMPARISON)) {
        const attribute = (match[1] ?? match[2]) as string;
        const operator = match[3] as string;
        const values = [...(match[4] as string).matchAll(/"([^"]*)"/g)].map((value) => value[1] as string);
        const listed = definitionsOf(attribute).flatMap((definition) => definition.values ?? []);
        // An attribute whose values are the app's own names (function names) is not listed; nothing to compare with.
        if (listed.length === 0) continue;
        for (const value of values) {
            const known = operator === 'startswith' ? listed.some((item) => item.startsWith(value)) : listed.includes(value);
            if (!known) problems.push(`${attribute} ${operator} "${value}": the catalogue lists ${listed.join(', ')}`);
        }
    }
    return problems;
}

/** The metric names a query filters on. */
export function metricsNamedIn(query: string): string[] {
    return [...new Set([...query.matchAll(METRIC_NAME)].map((match) => match[1] as string))];
}
