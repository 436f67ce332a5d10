// The fault suite's small version inside `npm test`, so CI catches a regression: the same harness and
// scenarios as `npm run faults` (test/faults/), at SMALL_SIZES. Each scenario is one test; a failure
// prints the scenario's findings and the seed to replay it with `npm run faults -- --small --seed N`.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FaultEnvironment } from './faultEnvironment';
import { SMALL_SIZES, type ScenarioResult } from './scenario';
import { SCENARIOS } from './suite';

const SEED = Number(process.env.FAULTS_SEED ?? Math.floor(Math.random() * 2 ** 31));

describe(`fault suite, small size (seed ${SEED})`, () => {
    let env: FaultEnvironment;

    before(async () => {
        env = await FaultEnvironment.start();
    });
    after(async () => {
        await env?.stop();
    });

    for (const scenario of SCENARIOS) {
        test(`${scenario.name}: nothing lost, nothing doubled, every call exact`, async () => {
            for (const dead of env.deadInstances()) await env.restart(dead);
            await env.setRelay(scenario.relay === true);

            const result = await scenario.run({ env, sizes: SMALL_SIZES, seed: SEED });

            assert.ok(result.requests > 0, 'the scenario sent nothing');
            assert.ok(result.passed, findingsOf(result));
        });
    }
});

function findingsOf(result: ScenarioResult): string {
    return [
        `${result.name} failed (seed ${SEED}): lost ${result.lost}, doubled ${result.doubled}, wrong calls ${result.wrongCalls}, forbidden answers ${result.forbiddenAnswers}; answers ${JSON.stringify(result.answers)}`,
        ...result.notes.map((note) => `  - ${note}`),
        ...result.failures.map((failure) => `  ! ${failure}`),
    ].join('\n');
}
