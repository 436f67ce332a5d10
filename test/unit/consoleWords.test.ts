// What the console says: API problems, hang-up outcomes, who closed a call, durations, and where the API is.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { closedByText, hangUpStatusText } from '../../console/src/callWords';
import { formatAgo, formatDuration } from '../../console/src/format';
import { apiBaseOf, takeFunctionKey } from '../../console/src/functionKey';
import { hangUpInWords, problemInWords } from '../../console/src/problemText';

describe('console words', () => {
    test('every API problem reads as a sentence with what to do', () => {
        assert.equal(
            problemInWords({ status: 404, title: 'Not found', detail: 'Nothing is recorded for call x: no notification or hang-up for it was stored.' }, 'load call x'),
            'Could not load call x: not found (404). Nothing is recorded for call x: no notification or hang-up for it was stored.',
        );
        assert.match(
            problemInWords({ status: 401 }, 'list the calls'),
            /^Could not list the calls: the app refused the function key \(401 Unauthorized\)\. Open the console with \?code=/,
        );
        assert.equal(
            problemInWords({ status: 401, detail: 'Sign-in is required.', apiAuth: 'entra' }, 'list the calls'),
            'Could not list the calls: you are not signed in, or your sign-in has expired (401 Unauthorized). Sign-in is required. Reload the page to sign in again.',
        );
        assert.equal(
            problemInWords({ status: 403, detail: 'This needs the app role CallRecord.Operate.', apiAuth: 'entra' }, 'hang up the call'),
            'Could not hang up the call: access is forbidden (403). This needs the app role CallRecord.Operate.',
        );
        assert.equal(
            problemInWords({ status: 503, title: 'Service unavailable', detail: 'Call history storage is unavailable', retryAfterSeconds: 5 }, 'list the calls'),
            'Could not list the calls: the service is unavailable for now (503 Service unavailable). Call history storage is unavailable. Try again in 5 s.',
        );
        assert.match(problemInWords({ status: 0, networkError: 'Failed to fetch' }, 'list the calls'), /the app did not answer \(Failed to fetch\)/);
        assert.match(
            problemInWords({ status: 502, title: 'Graph refused the app', detail: 'Graph answered 403.' }, 'x'),
            /Microsoft Graph refused the app or could not be reached \(502 Graph refused the app\)\. Graph answered 403\./,
        );
        assert.equal(problemInWords({ status: 418 }, 'x'), 'Could not x: the app answered 418.');
    });

    test("a hang-up's outcome says what Graph did, and whether the call may still be live", () => {
        assert.match(hangUpInWords({ status: 204 }), /^Graph accepted the hang-up \(204 No Content\)/);
        assert.match(
            hangUpInWords({ status: 404, detail: 'Graph has no call c1: Graph answered 404 8522.' }),
            /^Graph has no such call \(404\): it has already ended, .* Graph answered 404 8522\.$/,
        );
        assert.match(hangUpInWords({ status: 502, title: 'Graph refused the app' }), /refused the hang-up .*\(502 Graph refused the app\); the call may still be live\./);
        assert.match(hangUpInWords({ status: 503, retryAfterSeconds: 7 }), /^Graph is throttling or unavailable \(503\); the call was not ended\. Try again in 7 s\.$/);
        assert.match(hangUpInWords({ status: 400, detail: 'Refused call id' }), /^Could not hang up the call: the app refused the request/);
    });

    test('who closed a call, and what Graph said to the last hang-up', () => {
        assert.equal(closedByText({ callState: 'established', deleted: false }), 'still active');
        assert.equal(closedByText({ callState: 'terminated', deleted: true, closedBy: 'graph' }), "Graph's notification");
        assert.equal(closedByText({ callState: 'terminated', deleted: false }), "Graph's notification");
        assert.equal(closedByText({ callState: 'terminated', deleted: false, closedBy: 'reconciler', reconcileStatus: 404 }), 'the reconciler (Graph no longer knew the call)');
        assert.equal(closedByText({ callState: 'established', deleted: true }), "Graph's notification", 'deleted is ended too');
        assert.equal(hangUpStatusText(undefined, undefined), 'never asked');
        assert.equal(hangUpStatusText(undefined, '2026-11-29T10:00:00Z'), 'no answer from Graph');
        assert.equal(hangUpStatusText(204, '2026-11-29T10:00:00Z'), 'Graph accepted it (204)');
        assert.equal(hangUpStatusText(404, '2026-11-29T10:00:00Z'), 'Graph had no such call (404)');
    });

    test('durations read as people say them', () => {
        assert.equal(formatDuration(0), '0 ms');
        assert.equal(formatDuration(850), '850 ms');
        assert.equal(formatDuration(1234), '1.2 s');
        assert.equal(formatDuration(42_000), '42 s');
        assert.equal(formatDuration(185_000), '3 min 5 s');
        assert.equal(formatDuration(2 * 3600_000), '2 h');
        assert.equal(formatDuration(50 * 3600_000 + 60_000), '2 d 2 h');
        assert.equal(formatAgo(0, 3000), 'just now');
        assert.equal(formatAgo(0, 250_000), '4 min ago');
        assert.equal(formatAgo(10_000, 0), 'just now', 'a clock ahead of ours');
    });

    test('the API is found next to the page, whatever the route prefix', () => {
        assert.equal(apiBaseOf('/api/console'), '/api');
        assert.equal(apiBaseOf('/api/console/'), '/api');
        assert.equal(apiBaseOf('/calling/console'), '/calling');
        assert.equal(apiBaseOf('/console'), '');
    });
});

describe('console function key', () => {
    function browser(href: string, stored: Record<string, string> = {}) {
        const address = { href };
        const replaced: string[] = [];
        const history = { state: null, replaceState: (_data: unknown, _unused: string, url: string) => void replaced.push(url) };
        const storage = {
            getItem: (key: string) => stored[key] ?? null,
            setItem: (key: string, value: string) => {
                stored[key] = value;
            },
        };
        return { address, history, storage, replaced, stored };
    }

    test('?code= is taken off the address (path, other parameters and fragment kept) and kept for the tab', () => {
        // prepare
        const tab = browser('https://app.example/api/console?x=1&code=k%2B1#/calls/c1');

        // act
        const key = takeFunctionKey(tab.address, tab.history, tab.storage);

        // assess
        assert.equal(key, 'k+1');
        assert.deepEqual(tab.replaced, ['/api/console?x=1#/calls/c1']);
        assert.deepEqual(Object.values(tab.stored), ['k+1']);
    });

    test('without ?code= the tab keeps the key it was given; with no storage the key lives in memory only', () => {
        // prepare
        const given = browser('https://app.example/api/console?code=k1');
        takeFunctionKey(given.address, given.history, given.storage);
        const reloaded = browser('https://app.example/api/console', given.stored);

        // act and assess
        assert.equal(takeFunctionKey(reloaded.address, reloaded.history, reloaded.storage), 'k1');
        assert.deepEqual(reloaded.replaced, [], 'nothing to take off');
        assert.equal(takeFunctionKey(browser('https://app.example/api/console').address, given.history, undefined), undefined);
        const noStorage = browser('https://app.example/api/console?code=k2');
        assert.equal(takeFunctionKey(noStorage.address, noStorage.history, undefined), 'k2');
    });
});
