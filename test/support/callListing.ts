// Every call a listing gives, page after page: what the index tests compare with what they wrote.

import assert from 'node:assert/strict';
import type { TableClient } from '@azure/data-tables';
import { listCalls, type CallListPage } from '../../shared/query/callList';
import type { CallListOptions } from '../../shared/query/queryOptions';

/** Every page of the listing, with the ids in the order given; fails if a page breaks `top` or it never ends. */
export async function allPages(table: TableClient, options: CallListOptions = {}): Promise<{ ids: string[]; pages: CallListPage[] }> {
    const pages: CallListPage[] = [];
    let continuationToken: string | undefined;
    do {
        const page = await listCalls(table, { ...options, ...(continuationToken === undefined ? {} : { continuationToken }) });
        assert.ok(page.calls.length <= (options.top ?? 100), `a page of top=${options.top} held ${page.calls.length} calls`);
        pages.push(page);
        continuationToken = page.continuationToken;
        assert.ok(pages.length < 500, 'the listing does not end');
    } while (continuationToken !== undefined);
    return { ids: pages.flatMap((page) => page.calls.map((call) => call.callId)), pages };
}

/** The ids of every call listed, newest first, in pages of 1,000. */
export async function listedIds(table: TableClient, options: Omit<CallListOptions, 'top' | 'continuationToken'> = {}): Promise<string[]> {
    return (await allPages(table, { ...options, top: 1000 })).ids;
}
