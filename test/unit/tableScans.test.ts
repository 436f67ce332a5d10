// The classifier of the no-scan check (test/support/tableScans.ts): which filters confine a query to partitions,
// which read the whole table, and which requests are entity queries at all.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { odata } from '@azure/data-tables';
import { isConfinedToPartitions, tableQueries, tableScans } from '../support/tableScans';

describe('table scan classifier', () => {
    test('a PartitionKey equality confines a query, whatever else it asks of the rows', () => {
        assert.equal(isConfinedToPartitions("PartitionKey eq 'call-1'"), true);
        assert.equal(isConfinedToPartitions("PartitionKey eq 'call-1' and RowKey ge 'event-' and RowKey lt 'event.'"), true);
        assert.equal(isConfinedToPartitions("RowKey ge '8234' and PartitionKey eq '_calls-20261129' and ended eq true"), true);
        assert.equal(isConfinedToPartitions("(PartitionKey eq '_days') and (RowKey ge '79738870' and RowKey le '79738900')"), true);
        assert.equal(isConfinedToPartitions("PartitionKey  eq   'spaced'"), true);
    });

    test('a PartitionKey range confines a query only when it is bounded on both sides', () => {
        assert.equal(isConfinedToPartitions("PartitionKey ge 'a' and PartitionKey lt 'b'"), true);
        assert.equal(isConfinedToPartitions("PartitionKey gt 'a' and RowKey eq 'state' and PartitionKey le 'b'"), true);
        assert.equal(isConfinedToPartitions("PartitionKey ge 'a'"), false);
        assert.equal(isConfinedToPartitions("PartitionKey lt 'b' and RowKey eq 'state'"), false);
    });

    test('no filter, or a filter without a PartitionKey condition, is a scan', () => {
        assert.equal(isConfinedToPartitions(undefined), false);
        assert.equal(isConfinedToPartitions("RowKey eq 'state'"), false);
        // What GET /api/calls sent before the call index: every summary row of the table.
        assert.equal(isConfinedToPartitions("RowKey eq 'state' and PartitionKey ne '_unrouted'"), false);
        assert.equal(isConfinedToPartitions("callState eq 'established'"), false);
        assert.equal(isConfinedToPartitions("PartitionKey ne 'call-1'"), false);
        // The property names are case-sensitive: this one is an ordinary property, not the key.
        assert.equal(isConfinedToPartitions("partitionKey eq 'call-1'"), false);
    });

    test('an `or` or a `not` makes a scan, even next to a PartitionKey equality', () => {
        assert.equal(isConfinedToPartitions("PartitionKey eq 'a' or PartitionKey eq 'b'"), false);
        assert.equal(isConfinedToPartitions("PartitionKey eq 'a' or RowKey eq 'state'"), false);
        assert.equal(isConfinedToPartitions("PartitionKey eq 'a' and (RowKey eq 'x' OR RowKey eq 'y')"), false);
        assert.equal(isConfinedToPartitions("not (PartitionKey eq 'a')"), false);
    });

    test('quoted values that contain " and ", " or ", quotes or conditions change nothing', () => {
        // A value that reads like the condition it lacks: still a scan.
        assert.equal(isConfinedToPartitions("RowKey eq 'x'' and PartitionKey eq ''y'"), false);
        assert.equal(isConfinedToPartitions(odata`RowKey eq ${"x' and PartitionKey eq 'y"}`), false);
        assert.equal(isConfinedToPartitions(odata`callState eq ${'a and PartitionKey eq b'}`), false);
        // A value that reads like an `or` or a `not`: still confined.
        assert.equal(isConfinedToPartitions(odata`PartitionKey eq ${'this or that'} and RowKey ge ${'not (x)'}`), true);
        assert.equal(isConfinedToPartitions(odata`PartitionKey eq ${"it's"} and RowKey eq ${"' or RowKey eq '"}`), true);
        // An unterminated value is not a condition.
        assert.equal(isConfinedToPartitions("PartitionKey eq 'x"), false);
    });

    test('only entity queries are classified: point reads, writes, batches and the table list are not queries', () => {
        // prepare: what the SDK sends to Azurite for each
        const requests = [
            { method: 'GET', path: "/devstoreaccount1/Tcalls(PartitionKey='call-1',RowKey='state')", authorization: undefined },
            { method: 'GET', path: '/devstoreaccount1/Tcalls(PartitionKey=%27call-1%27,RowKey=%27state%27)', authorization: undefined },
            { method: 'POST', path: '/devstoreaccount1/$batch', authorization: undefined },
            { method: 'PUT', path: "/devstoreaccount1/Tcalls(PartitionKey='c',RowKey='state')", authorization: undefined },
            { method: 'POST', path: '/devstoreaccount1/Tables', authorization: undefined },
            { method: 'GET', path: `/devstoreaccount1/Tables?$filter=${encodeURIComponent("TableName eq 'Tcalls'")}`, authorization: undefined },
            { method: 'GET', path: `/devstoreaccount1/Tcalls()?$filter=${encodeURIComponent("PartitionKey eq 'call-1'")}&$top=10`, authorization: undefined },
            { method: 'GET', path: `/devstoreaccount1/Tcalls()?$filter=${encodeURIComponent("RowKey eq 'state'")}`, authorization: undefined },
            { method: 'GET', path: '/devstoreaccount1/Tcalls()', authorization: undefined },
        ];

        // act
        const queries = tableQueries(requests);
        const scans = tableScans(requests);

        // assess
        assert.deepEqual(
            queries.map((query) => query.filter),
            ["PartitionKey eq 'call-1'", "RowKey eq 'state'", undefined],
        );
        assert.deepEqual(
            scans.map((query) => query.filter),
            ["RowKey eq 'state'", undefined],
        );
    });
});
