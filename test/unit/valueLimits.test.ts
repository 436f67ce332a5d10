// Fitting the call record into Table Storage: every string within its field's limit, flagged when cut,
// and rows and transactions that the storage's limits can hold.

import assert from 'node:assert/strict';
import type { TransactionAction } from '@azure/data-tables';
import { describe, test } from 'node:test';
import { EVENT_FIELDS, SUMMARY_FIELDS, type FieldList } from '../../shared/record/callFields';
import type { NewCallEvent } from '../../shared/record/callModel';
import { eventToEntity, summaryToEntity } from '../../shared/record/tableEntities';
import { fitToTable, MAX_OPERATIONS, transactionFits } from '../../shared/record/valueLimits';

const receivedAt = new Date('2026-11-29T10:00:00Z');
/** A string property holds 32K UTF-16 units; an entity 1 MiB (strings counted as UTF-16). */
const PROPERTY_UNITS = 32 * 1024;
const ENTITY_BYTES = 1024 * 1024;

/** Every free string field of a description (not `kind`, which the app sets) filled far beyond its limit. */
function oversized(fields: FieldList, char = 'x'): Record<string, string> {
    return Object.fromEntries(
        Object.entries(fields)
            .filter(([name, spec]) => spec.column === 'string' && name !== 'kind')
            .map(([name]) => [name, char.repeat(100_000)]),
    );
}

describe('fitToTable', () => {
    test('cuts every string field to its limit and names each cut field', () => {
        const event = fitToTable({ ...oversized(EVENT_FIELDS), kind: 'notification', receivedAt } as NewCallEvent);

        for (const [name, spec] of Object.entries(EVENT_FIELDS)) {
            if (spec.column !== 'string' || name === 'kind') continue;
            assert.equal(String((event as unknown as Record<string, unknown>)[name]).length, spec.limit, name);
        }
        assert.deepEqual([...(event.truncatedFields ?? [])].sort(), Object.keys(oversized(EVENT_FIELDS)).sort());
        assert.equal(event.resourceDataTruncated, true);
    });

    test('leaves an event that fits untouched, and never splits a surrogate pair', () => {
        const small: NewCallEvent = { kind: 'notification', receivedAt, resultMessage: 'ok' };
        assert.equal(fitToTable(small), small);

        const emoji = '\u{1F600}'.repeat(20_000);
        const cut = fitToTable({ kind: 'notification', receivedAt, resultMessage: emoji });
        assert.ok(cut.resultMessage!.length <= 30_000);
        assert.equal(cut.resultMessage!.length % 2, 0);
        assert.deepEqual(cut.truncatedFields, ['resultMessage']);
    });

    test('a row with every field at its limit fits a property and an entity', () => {
        for (const spec of [...Object.values(SUMMARY_FIELDS), ...Object.values(EVENT_FIELDS)] as Array<{ limit?: number }>) {
            assert.ok((spec.limit ?? 0) <= PROPERTY_UNITS);
        }
        const event = fitToTable({ ...oversized(EVENT_FIELDS, '\u00e9'), kind: 'notification', receivedAt } as NewCallEvent);
        const entity = eventToEntity('c1', 1, event);
        const utf16Bytes = Object.entries(entity).reduce((sum, [name, value]) => sum + 2 * name.length + (typeof value === 'string' ? 2 * value.length : 8), 0);
        assert.ok(utf16Bytes < ENTITY_BYTES, `${utf16Bytes} bytes`);
    });
});

describe('transactionFits', () => {
    const summary = summaryToEntity({ callId: 'c1', deleted: false, eventCount: 1, duplicateCount: 0 });
    const event = (n: number, text = 'x') => eventToEntity('c1', n, { kind: 'notification', receivedAt, resourceData: text });

    test('at most 100 operations', () => {
        const actions = (count: number): TransactionAction[] => [['create', summary], ...Array.from({ length: count - 1 }, (_, n): TransactionAction => ['create', event(n + 1)])];
        assert.equal(transactionFits(actions(MAX_OPERATIONS)), true);
        assert.equal(transactionFits(actions(MAX_OPERATIONS + 1)), false);
    });

    test('every field counts toward the 4 MiB body, escapes included', () => {
        // 99 events of 30,000 quote characters: each becomes two bytes in JSON, about 6 MB in all.
        const heavy = Array.from({ length: 99 }, (_, n): TransactionAction => ['create', event(n + 1, '"'.repeat(30_000))]);
        assert.equal(transactionFits([['create', summary], ...heavy]), false);
        assert.equal(transactionFits([['create', summary], ...heavy.slice(0, 40)]), true);
    });
});
