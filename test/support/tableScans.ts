// Tells, from the requests a recording proxy saw (recordingProxy.ts), which entity queries would read the whole
// table in Azure Table Storage: a query is confined to partitions only when every row it can return must meet
// a `PartitionKey eq '...'` condition, or a range of PartitionKeys bounded on both sides. Anything else (no
// filter, a filter on RowKey or properties only, an `or` or a `not` that could undo the PartitionKey condition)
// is a table scan: the service reads every row of every call for it, 1,000 rows or 5 s per page.

import type { RecordedRequest } from './recordingProxy';

export interface TableQuery {
    method: string;
    /** Path and query as sent, still encoded. */
    path: string;
    /** The decoded `$filter`; undefined when the query has none (it returns the whole table). */
    filter?: string;
}

/**
 * The entity queries among the requests: GETs of a table's entities, not point reads (`T(PartitionKey=..,RowKey=..)`),
 * not writes or batches, not the table list (`/Tables`).
 */
export function tableQueries(requests: readonly RecordedRequest[]): TableQuery[] {
    return requests.flatMap((request) => {
        if (request.method !== 'GET') return [];
        const url = new URL(request.path, 'http://proxy');
        const path = decodeURIComponent(url.pathname);
        if (/^\/[^/]+\/Tables(\(.*\))?$/i.test(path) || /\(\s*PartitionKey=.*\)$/.test(path)) return [];
        const filter = url.searchParams.get('$filter') ?? undefined;
        return [{ method: request.method, path: request.path, ...(filter === undefined ? {} : { filter }) }];
    });
}

/** The queries that are not confined to partitions: each one a full table scan in Azure. */
export function tableScans(requests: readonly RecordedRequest[]): TableQuery[] {
    return tableQueries(requests).filter((query) => !isConfinedToPartitions(query.filter));
}

/**
 * @example
 * isConfinedToPartitions("PartitionKey eq 'c1' and RowKey ge 'event-'") // true
 * isConfinedToPartitions("RowKey eq 'state'") // false: every partition is read
 */
export function isConfinedToPartitions(filter: string | undefined): boolean {
    if (filter === undefined) return false;
    // A quoted value cannot hide an operator: the filter's shape is compared with every value replaced.
    // A value ends at a quote that is not doubled ('it''s' is one value); an unterminated one is left as it
    // is and then matches no condition below, so the query counts as a scan.
    const shape = filter.replace(/'(?:[^']|'')*'/g, "'v'");
    // Only conditions joined by `and` bind every row; an `or` or a `not` anywhere could undo one.
    if (/\b(or|not)\b/i.test(shape)) return false;
    // With `and` alone, parentheses change nothing: every condition holds for every row returned.
    const conditions = shape.split(/\s+and\s+/i).map((condition) => condition.replace(/[()]/g, '').trim());
    if (conditions.some((condition) => /^PartitionKey\s+eq\s+'v'$/.test(condition))) return true;
    const lower = conditions.some((condition) => /^PartitionKey\s+(ge|gt)\s+'v'$/.test(condition));
    const upper = conditions.some((condition) => /^PartitionKey\s+(le|lt)\s+'v'$/.test(condition));
    return lower && upper;
}
