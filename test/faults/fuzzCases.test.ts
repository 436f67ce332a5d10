// The fault suite's generators: a seed makes the same shuffles and the same fuzzed bodies again, one case
// can be made alone, and a run of any length has every kind of case from its first cases on.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CALLBACK_BODY_LIMIT } from '../../shared/requestBody';
import { fuzzCase, FUZZ_ID_PATTERN, FUZZ_KINDS } from './fuzzCases';
import { randomFor, seededRandom } from './prng';

const setup = { seed: 4242, callIds: ['fuzz-a', 'fuzz-b', 'fuzz-c'] };

describe('fault suite generators', () => {
    test('a seed gives the same numbers and shuffles; another seed others', () => {
        const draw = (seed: number) => {
            const random = seededRandom(seed);
            return [random.next(), random.int(1, 6), random.shuffle([1, 2, 3, 4, 5, 6, 7, 8])];
        };

        assert.deepEqual(draw(7), draw(7));
        assert.notDeepEqual(draw(7), draw(8));
        assert.notDeepEqual(randomFor(7, 1).next(), randomFor(7, 2).next());
    });

    test('a fuzz case is the same bytes whether made alone or in a run', () => {
        const run = Array.from({ length: 60 }, (_, i) => fuzzCase(setup, i));

        for (const i of [0, 11, 37, 59]) {
            const alone = fuzzCase(setup, i);
            assert.ok(alone.body.equals(run[i]!.body), `case ${i} differs`);
            assert.deepEqual(alone.headers, run[i]!.headers);
            assert.deepEqual(alone.tracers, run[i]!.tracers);
        }
    });

    test('the first cases cover every kind; tracers are unique ids carried in their body', () => {
        const cases = Array.from({ length: 400 }, (_, i) => fuzzCase(setup, i));

        assert.deepEqual(
            cases.slice(0, FUZZ_KINDS.length).map((c) => c.kind),
            [...FUZZ_KINDS],
        );
        const owned = cases.filter((c) => c.kind !== 'repeat').flatMap((c) => c.tracers);
        assert.equal(new Set(owned).size, owned.length);
        for (const fuzz of cases) {
            const carried = new Set(fuzz.body.toString('utf8').match(FUZZ_ID_PATTERN) ?? []);
            for (const id of fuzz.tracers) assert.ok(carried.has(id), `case ${fuzz.index} does not carry its tracer ${id}`);
        }
        assert.ok(
            cases.some((c) => c.body.length > CALLBACK_BODY_LIMIT),
            'no body over the limit',
        );
        assert.ok(cases.filter((c) => c.body.length > CALLBACK_BODY_LIMIT).every((c) => c.kind === 'randomBytes' || c.kind === 'repeat'));
    });
});
