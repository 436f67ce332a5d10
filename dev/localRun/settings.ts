// The app's settings for `npm start`: local.settings.json (made from the sample when missing), and the few
// values that must change so the app talks to this run's Azurite and simulator. The process environment
// wins over local.settings.json (in the local host and in Core Tools alike), so those go in as variables.

import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { devStorageConnectionString, isDevelopmentStorage, type AzuritePorts } from '../azurite';
import { readLocalSettings } from '../../shared/settings/localSettings';
import { SIMULATOR_DEFAULTS, simulatorAppSettings, type RunningSimulator } from '../simulator';

/** The settings that name the app's storage: `npm start` points them at its Azurite, and so does the run file. */
export const STORAGE_SETTINGS = ['AzureWebJobsStorage', 'CallHistoryStorage'] as const;

/** One setting `npm start` sets in the app's environment, and what the app would have used otherwise. */
export interface SettingOverride {
    name: string;
    value: string;
    /** undefined: the setting was not set anywhere. */
    previous: string | undefined;
}

/**
 * Copies the sample to `file` when there is no file yet; true when it did.
 *
 * @example
 * ensureSettingsFile('/repo/local.settings.json', '/repo/local.settings.sample.json') // true on a fresh clone
 */
export function ensureSettingsFile(file: string, sampleFile: string): boolean {
    if (existsSync(file)) return false;
    mkdirSync(path.dirname(file), { recursive: true });
    copyFileSync(sampleFile, file);
    return true;
}

/** The `Values` of a local.settings.json as strings (an absent file has none). */
export function readSettingValues(file: string): Record<string, string> {
    return readLocalSettings(file).values;
}

/** What the app needs to use this run's Azurite and simulator. */
export interface LocalRunWiring {
    azurite: AzuritePorts;
    simulator: RunningSimulator;
}

/**
 * The settings that differ from what the app would otherwise use (`current`: the process environment over the
 * settings file), set to point at this run's Azurite and simulator. Empty for the sample on the default ports.
 *
 * @example
 * settingOverrides({ ...fileValues, ...process.env }, { azurite: { blob: 10000, queue: 10001, table: 10002 }, simulator })
 */
export function settingOverrides(current: Readonly<Record<string, string | undefined>>, wiring: LocalRunWiring): SettingOverride[] {
    const { NODE_EXTRA_CA_CERTS: _caFile, ...simulatorSettings } = simulatorAppSettings(wiring.simulator);
    const storage = isDevelopmentStorage(wiring.azurite) ? 'UseDevelopmentStorage=true' : devStorageConnectionString(wiring.azurite);
    const wanted: Record<string, string> = {
        ...Object.fromEntries(STORAGE_SETTINGS.map((name) => [name, storage])),
        ...simulatorSettings,
    };
    const overrides: SettingOverride[] = [];
    for (const [name, value] of Object.entries(wanted)) {
        if (!sameSetting(name, current[name], value)) overrides.push({ name, value, previous: current[name] });
    }
    // Lists that must contain the simulator's values; anything else in them may stay.
    const issuers = current.CALLBACK_ISSUERS;
    const issuer = SIMULATOR_DEFAULTS.callbackIssuer;
    if (issuers !== undefined && !listOf(issuers).includes(issuer)) {
        overrides.push({ name: 'CALLBACK_ISSUERS', value: [...listOf(issuers), issuer].join(','), previous: issuers });
    }
    const tenants = current.ALLOWED_TENANT_IDS;
    if (
        tenants !== undefined &&
        listOf(tenants).length > 0 &&
        !listOf(tenants)
            .map((t) => t.toLowerCase())
            .includes(wiring.simulator.tenantId)
    ) {
        overrides.push({ name: 'ALLOWED_TENANT_IDS', value: [...listOf(tenants), wiring.simulator.tenantId].join(','), previous: tenants });
    }
    return overrides;
}

/** The relay's secret for local runs, shared by the app and the example bot; it protects nothing outside this machine. */
export const LOCAL_RELAY_SECRET = 'whsec_bG9jYWwtcmVsYXktc2VjcmV0LWZvci1ucG0tc3RhcnQ=';

/**
 * What puts the app in front of the example bot for this run: with no RELAY_URL, or one that names the example
 * bot on another port, the relay goes to the example bot on `botPort`; a RELAY_URL of the developer's own bot stays.
 * The secret is the one the settings give, else the local one.
 *
 * @example
 * relayOverrides({}, 3978) // RELAY_URL=http://localhost:3978/api/calling and RELAY_SECRET=whsec_...
 */
export function relayOverrides(current: Readonly<Record<string, string | undefined>>, botPort: number): SettingOverride[] {
    const url = exampleBotUrl(botPort);
    const given = current.RELAY_URL?.trim();
    const overrides: SettingOverride[] = [];
    if (given === undefined || given === '' || (isExampleBotUrl(given) && given !== url)) {
        overrides.push({ name: 'RELAY_URL', value: url, previous: current.RELAY_URL });
    }
    if ((current.RELAY_SECRET?.trim() ?? '') === '') overrides.push({ name: 'RELAY_SECRET', value: LOCAL_RELAY_SECRET, previous: current.RELAY_SECRET });
    return overrides;
}

export function exampleBotUrl(port: number): string {
    return `http://localhost:${port}/api/calling`;
}

function isExampleBotUrl(url: string): boolean {
    return /^http:\/\/(localhost|127\.0\.0\.1):\d+\/api\/calling$/.test(url);
}

/** Every active call is quiet enough for the reconciler in a local run (see lifecycleOverrides). */
const LOCAL_RECONCILE_AFTER_MINUTES = '0';

/**
 * What `npm start` sets so a call's whole lifecycle can be seen in one sitting: RECONCILE_AFTER_MINUTES=0, the
 * reconciler checks every active call on each run. The simulator's calls are minutes old, and it forgets them
 * when it stops, so with the 45 minutes that suit Graph a call whose end was lost would stay stuck all session.
 * A value the process environment gives is the developer's choice for this run, and stays.
 *
 * @example
 * lifecycleOverrides({ RECONCILE_AFTER_MINUTES: '45' }, {}) // [{ name: 'RECONCILE_AFTER_MINUTES', value: '0', previous: '45' }]
 */
export function lifecycleOverrides(current: Readonly<Record<string, string | undefined>>, environment: Readonly<Record<string, string | undefined>>): SettingOverride[] {
    const name = 'RECONCILE_AFTER_MINUTES';
    if (environment[name] !== undefined || current[name]?.trim() === LOCAL_RECONCILE_AFTER_MINUTES) return [];
    return [{ name, value: LOCAL_RECONCILE_AFTER_MINUTES, previous: current[name] }];
}

/**
 * What `npm start -- --sign-in` sets: API_AUTH=entra, since signing people in is pointless while a function key is
 * what the app checks. A value the process environment gives stays, like RECONCILE_AFTER_MINUTES's.
 *
 * @example
 * accessOverrides(true, {}, {}) // [{ name: 'API_AUTH', value: 'entra', previous: undefined }]
 */
export function accessOverrides(
    signIn: boolean,
    current: Readonly<Record<string, string | undefined>>,
    environment: Readonly<Record<string, string | undefined>>,
): SettingOverride[] {
    const name = 'API_AUTH';
    if (!signIn || environment[name] !== undefined || current[name]?.trim().toLowerCase() === 'entra') return [];
    return [{ name, value: 'entra', previous: current[name] }];
}

/** Ids compare without regard to case (the simulator lower-cases them); everything else exactly. */
function sameSetting(name: string, current: string | undefined, wanted: string): boolean {
    if (current === undefined) return false;
    return /_ID$/.test(name) ? current.toLowerCase() === wanted.toLowerCase() : current === wanted;
}

function listOf(value: string): string[] {
    return value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
}

/**
 * The file for the app's `NODE_EXTRA_CA_CERTS`: the simulator's CA, plus the certificates the developer
 * already trusts that way (Node reads only one such file), bundled next to the CA.
 */
export function extraCaCertsFile(simulatorCaFile: string, existing: string | undefined): string {
    if (existing === undefined || existing === '' || path.resolve(existing) === path.resolve(simulatorCaFile)) {
        return simulatorCaFile;
    }
    const bundle = path.join(path.dirname(simulatorCaFile), 'node-extra-ca-certs.pem');
    writeFileSync(bundle, `${readFileSync(simulatorCaFile, 'utf8').trimEnd()}\n${readFileSync(existing, 'utf8')}`);
    return bundle;
}
