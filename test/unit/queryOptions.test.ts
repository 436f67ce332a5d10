// Query parameters of the read API: what is accepted, how it is normalised, and what is a 400.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BadRequestError } from '../../shared/errors';
import { checkCallListOptions, parseCallListOptions, parseHistoryOptions, parseInstant } from '../../shared/query/queryOptions';

const calls = (query: string) => parseCallListOptions(new URLSearchParams(query));
const history = (query: string) => parseHistoryOptions(new URLSearchParams(query));

describe('top', () => {
    test('1 to 1000 are accepted; absent means the default, chosen by the query', () => {
        assert.deepEqual(history(''), {});
        assert.deepEqual(history('top=1'), { top: 1 });
        assert.deepEqual(history('top=1000'), { top: 1000 });
        assert.deepEqual(history('top=0050'), { top: 50 });
    });

    test('anything else is a 400', () => {
        for (const top of ['0', '1001', '-1', '1.5', '1e2', 'ten', ' 5', '+5', '0x10', '99999']) {
            assert.throws(() => history(`top=${encodeURIComponent(top)}`), BadRequestError, top);
        }
    });
});

describe('state', () => {
    test('known states in any case become Graph spelling', () => {
        assert.equal(calls('state=Terminated').state, 'terminated');
        assert.equal(calls('state=TRANSFERACCEPTED').state, 'transferAccepted');
        assert.equal(calls('state=%20established%20').state, 'established');
    });

    test('unknown names and anything that is not a bare name are a 400', () => {
        for (const state of ['nosuchstate', "terminated' or true or 'a' eq 'a", 'terminated or true', "terminated'", 'termin%ated', '1']) {
            assert.throws(() => calls(`state=${encodeURIComponent(state)}`), BadRequestError, state);
        }
    });

    test('typed options from other callers are checked too', () => {
        assert.throws(() => checkCallListOptions({ state: 'Terminated' }), BadRequestError);
        assert.throws(() => checkCallListOptions({ top: 0 }), BadRequestError);
        assert.throws(() => checkCallListOptions({ since: new Date('nope') }), BadRequestError);
        assert.doesNotThrow(() => checkCallListOptions({ state: 'terminated', top: 10, since: new Date(0), until: new Date(1) }));
    });
});

describe('since and until', () => {
    test('ISO 8601 dates (midnight UTC) and date-times with a zone', () => {
        assert.equal(parseInstant('since', '2026-11-29').toISOString(), '2026-11-29T00:00:00.000Z');
        assert.equal(parseInstant('since', '2026-11-29T10:00Z').toISOString(), '2026-11-29T10:00:00.000Z');
        assert.equal(parseInstant('since', '2026-11-29T10:00:00.5+01:00').toISOString(), '2026-11-29T09:00:00.500Z');
        assert.equal(parseInstant('since', '2024-02-29T23:59:59-05:30').toISOString(), '2024-03-01T05:29:59.000Z');
    });

    test('impossible dates, missing zones and anything else are a 400', () => {
        for (const value of [
            '2026-02-30',
            '2025-02-29',
            '2026-13-01',
            '2026-11-29T24:00:00Z',
            '2026-11-29T10:60Z',
            '2026-11-29T10:00:00',
            '2026-11-29 10:00:00Z',
            '29/11/2026',
            'yesterday',
            '1732874400',
            "2026-11-29T10:00:00Z' or true or 'a' eq 'a",
            "datetime'2026-11-29T10:00:00Z'",
        ]) {
            assert.throws(() => parseInstant('since', value), BadRequestError, value);
        }
    });

    test('since must come before until', () => {
        assert.deepEqual(calls('since=2026-11-29&until=2026-11-30'), { since: new Date('2026-11-29T00:00:00Z'), until: new Date('2026-11-30T00:00:00Z') });
        assert.throws(() => calls('since=2026-11-30&until=2026-11-29'), BadRequestError);
        assert.throws(() => calls('since=2026-11-29&until=2026-11-29'), BadRequestError);
    });
});

describe('parameters', () => {
    test("unknown and repeated parameters are a 400; the host's function key is not ours to refuse", () => {
        assert.throws(() => calls('stat=terminated'), BadRequestError);
        assert.throws(() => calls('$filter=true'), BadRequestError);
        assert.throws(() => history('state=terminated'), BadRequestError);
        assert.throws(() => calls('state=terminated&state=ringing'), BadRequestError);
        assert.deepEqual(calls('code=secret-function-key&top=5'), { top: 5 });
    });

    test('empty values count as absent', () => {
        assert.deepEqual(calls('state=&since=&top=&continuationToken='), {});
    });

    test('the continuation token is passed on untouched, to be checked against the query', () => {
        assert.deepEqual(history('continuationToken=abc.def&top=3'), { top: 3, continuationToken: 'abc.def' });
    });
});
