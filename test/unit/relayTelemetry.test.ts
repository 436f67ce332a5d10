// The relay's words for the telemetry: the bot's answer bucketed for the metrics (a status class, never its text),
// and a replay's retry message telling its attempts from a retry's.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseWakeUp } from '../../shared/relay/relayQueue';
import { botStatusOf } from '../../shared/relay/relayTelemetry';
import { METRICS } from '../../shared/telemetry/catalogue';

describe('relay telemetry', () => {
    test("the bot's answer in the buckets the catalogue lists: 401/403 (the signature), 429/503 (later), no answer", () => {
        // act
        const buckets = [0, -1, 200, 204, 299, 301, 308, 400, 401, 403, 404, 410, 429, 500, 502, 503, 504].map((status) => [status, botStatusOf(status)]);

        // assess
        assert.deepEqual(buckets, [
            [0, 'no_answer'],
            [-1, 'no_answer'],
            [200, '2xx'],
            [204, '2xx'],
            [299, '2xx'],
            [301, '3xx'],
            [308, '3xx'],
            [400, 'other_4xx'],
            [401, '401'],
            [403, '403'],
            [404, '404'],
            [410, 'other_4xx'],
            [429, '429'],
            [500, 'other_5xx'],
            [502, 'other_5xx'],
            [503, '503'],
            [504, 'other_5xx'],
        ]);
        const listed: readonly string[] = METRICS.relayDeliveries.attributes.bot_status.values;
        assert.ok(buckets.every(([, bucket]) => listed.includes(String(bucket))));
    });

    test("a replay's retry message says so; a retry's, and anything else in that field, does not", () => {
        // assess
        assert.deepEqual(parseWakeUp({ callId: 'c1', owner: 'o1', replay: true }), { callId: 'c1', owner: 'o1', replay: true });
        assert.deepEqual(parseWakeUp({ callId: 'c1', owner: 'o1' }), { callId: 'c1', owner: 'o1' });
        assert.deepEqual(parseWakeUp({ callId: 'c1', owner: 'o1', replay: 'yes' }), { callId: 'c1', owner: 'o1' });
    });
});
