// The local summary (`npm start -- --telemetry`): the real OpenTelemetry SDK collects what the app records through
// the catalogue, and each interval becomes one line, in the catalogue's words. Also that nothing is recorded, or
// loaded, while telemetry is off.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { METRICS, SPANS } from '../../shared/telemetry/catalogue';
import { startTelemetry } from '../../shared/telemetry/startTelemetry';
import { inSpan, record } from '../../shared/telemetry/telemetry';

describe('telemetry: the local summary', () => {
    test('one line per interval: counters broken down by their attributes, latency on average and at most, the gauge', async () => {
        // prepare
        const lines: string[] = [];
        const telemetry = startTelemetry({ summarySeconds: 3600, serviceName: 'summary-test' }, (line) => lines.push(line));
        assert.ok(telemetry);
        // act
        record(METRICS.callbackRequests, { status: '202' }, 2);
        record(METRICS.callbackRequests, { status: '401', reason: 'audience' });
        record(METRICS.callbackDuration, { status: '202' }, 10);
        record(METRICS.callbackDuration, { status: '202' }, 30);
        record(METRICS.notifications, { outcome: 'stored' }, 5);
        record(METRICS.activeCalls, {}, 4);
        record(METRICS.reconcilerCalls, { outcome: 'checked' }, 3);
        record(METRICS.reconcilerCalls, { outcome: 'closed' }, 1);
        // Spans run their work even where none are exported (the summary is made of metrics).
        const answer = await inSpan(SPANS.callback, undefined, async (span) => {
            span.set({ status: '202' });
            return 42;
        });
        // The shutdown exports (prints) what the interval collected.
        await telemetry.shutdown();
        // assess
        assert.equal(answer, 42);
        assert.equal(lines.length, 1);
        assert.match(lines[0] ?? '', /^Telemetry, last \d+ s: /);
        assert.match(lines[0] ?? '', /callbacks 3 \(202: 2, 401 audience: 1\)/);
        assert.match(lines[0] ?? '', /acknowledged in 20 ms on average, 30 ms at most \(2\)/);
        assert.match(lines[0] ?? '', /notifications 5 \(stored: 5\)/);
        assert.match(lines[0] ?? '', /active calls 4/);
        assert.match(lines[0] ?? '', /reconciler checked: 3, closed: 1[;.]/, 'outcomes that overlap are not summed');
    });

    test('after shutdown (and before any start) recording does nothing, and a span still runs its work', async () => {
        // prepare
        const lines: string[] = [];
        const telemetry = startTelemetry({ summarySeconds: 3600, serviceName: 'summary-test' }, (line) => lines.push(line));
        await telemetry?.shutdown();
        // act
        record(METRICS.callbackRequests, { status: '202' });
        const ran = await inSpan(SPANS.hangup, undefined, async () => 'ran');
        // assess
        assert.equal(ran, 'ran');
        assert.equal(lines.length, 1, 'the one line of the shutdown, before anything was recorded');
        assert.match(lines[0] ?? '', /^Telemetry, last \d+ s: nothing recorded\.$/);
    });

    test('without a connection string or a summary nothing is started', () => {
        // assess
        assert.equal(
            startTelemetry({ serviceName: 'off' }, () => assert.fail('nothing prints')),
            undefined,
        );
    });
});
