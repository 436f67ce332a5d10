// Runs the fault scenarios one after another against one environment (faultEnvironment.ts) and collects
// their results. A scenario that leaves an instance dead does not take the next ones down with it: the
// instance is started again first, and the scenario that killed it reports it.

import { writeFileSync } from 'node:fs';
import { describeMachine, type MachineInfo } from '../../bench/machine';
import { FaultEnvironment } from './faultEnvironment';
import type { FaultSizes, Scenario, ScenarioResult } from './scenario';
import { fuzzBodies } from './scenarios/fuzzBodies';
import { hotCalls } from './scenarios/hotCalls';
import { instanceKill } from './scenarios/instanceKill';
import { jwksRotation } from './scenarios/jwksRotation';
import { redeliveryStorm } from './scenarios/redeliveryStorm';
import { rosterShuffle } from './scenarios/rosterShuffle';
import { relayBotDown, relayBotErrors, relayInstanceKill, relaySlowBot, relayTwoInstances } from './scenarios/relayToBot';
import { storageCut } from './scenarios/storageCut';

export const SCENARIOS: readonly Scenario[] = [
    redeliveryStorm,
    hotCalls,
    instanceKill,
    storageCut,
    jwksRotation,
    fuzzBodies,
    rosterShuffle,
    relayBotDown,
    relayBotErrors,
    relaySlowBot,
    relayTwoInstances,
    relayInstanceKill,
];

export interface FaultSuiteOptions {
    sizes: FaultSizes;
    sizeName: string;
    seed: number;
    /** Scenario ids to run (default all). */
    only?: readonly string[];
    /** Called with each result as it is ready. */
    onResult?: (result: ScenarioResult) => void;
    /** Called with progress lines. */
    onProgress?: (line: string) => void;
    /** Where the hosts' logs are written when a scenario fails, so a failure can be read afterwards. */
    hostLogFile?: string;
}

export interface FaultReport {
    startedAt: string;
    seconds: number;
    size: string;
    seed: number;
    machine: MachineInfo;
    passed: boolean;
    scenarios: ScenarioResult[];
}

/**
 * @example
 * const report = await runFaultSuite({ sizes: SMALL_SIZES, sizeName: 'small', seed: 1 });
 * report.passed // true when every scenario found lost 0, doubled 0, and every expectation met
 */
export async function runFaultSuite(options: FaultSuiteOptions): Promise<FaultReport> {
    const unknown = (options.only ?? []).filter((id) => !SCENARIOS.some((s) => s.id === id));
    if (unknown.length > 0) throw new Error(`Unknown scenario ${unknown.join(', ')}; the scenarios are ${SCENARIOS.map((s) => s.id).join(', ')}.`);
    const chosen = SCENARIOS.filter((s) => options.only === undefined || options.only.length === 0 || options.only.includes(s.id));
    const startedAt = new Date();
    const machine = describeMachine();
    options.onProgress?.('starting Azurite, the storage proxy, the callback signer and two hosts');
    const env = await FaultEnvironment.start();
    const scenarios: ScenarioResult[] = [];
    try {
        for (const scenario of chosen) {
            for (const dead of env.deadInstances()) {
                options.onProgress?.(`instance ${dead} is not running; starting it again before "${scenario.name}"`);
                await env.restart(dead);
            }
            if (await env.setRelay(scenario.relay === true)) {
                options.onProgress?.(`both instances started again with the relay to the bot ${scenario.relay === true ? 'on' : 'off'}`);
            }
            options.onProgress?.(`${scenario.name}...`);
            const result = await scenario.run({ env, sizes: options.sizes, seed: options.seed });
            scenarios.push(result);
            options.onResult?.(result);
        }
    } finally {
        if (options.hostLogFile !== undefined && scenarios.some((s) => !s.passed)) {
            writeFileSync(options.hostLogFile, env.hosts.map((host, i) => `===== instance ${i}\n${host.logs()}`).join('\n'));
            options.onProgress?.(`a scenario failed: the hosts' logs are in ${options.hostLogFile}`);
        }
        await env.stop();
    }
    return {
        startedAt: startedAt.toISOString(),
        seconds: Math.round((Date.now() - startedAt.getTime()) / 100) / 10,
        size: options.sizeName,
        seed: options.seed,
        machine,
        passed: scenarios.every((s) => s.passed),
        scenarios,
    };
}
