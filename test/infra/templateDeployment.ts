// The template as azd would deploy it, without Azure: `bicep build` compiles infra/main.bicep, `bicep snapshot`
// evaluates it for one scenario's parameters (resource ids, names, conditions, every value known before the
// deployment), and armExpression fills in what Azure returns at deployment time (endpoints, the identity's
// client id, the site's host name) with values of the documented shape.

import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ArmDeploymentFailure, evaluateArm } from './armExpression';

export const REPOSITORY_ROOT = path.resolve(__dirname, '../../..');
const SUBSCRIPTION_ID = '00000000-0000-4000-8000-00000000000a';
export const DEPLOYING_TENANT_ID = '44444444-4444-4444-8444-444444444444';
export const LOCATION = 'swedencentral';
const SCENARIO_DIR = path.join(REPOSITORY_ROOT, 'dist/infra/scenarios');

export type ParameterValue = string | number | boolean;

export interface PredictedResource {
    id: string;
    type: string;
    name: string;
    apiVersion: string;
    location?: string;
    kind?: string;
    sku?: Record<string, unknown>;
    tags?: Record<string, string>;
    identity?: { type: string; userAssignedIdentities?: Record<string, unknown> };
    properties?: Record<string, unknown>;
}

/** The Bicep CLI that infra/bicep/restore.sh restored (or BICEP_CLI, which npm run infra:check sets). */
function bicepCli(): string {
    const fromEnvironment = process.env.BICEP_CLI;
    if (fromEnvironment) return fromEnvironment;
    return execFileSync(path.join(REPOSITORY_ROOT, 'infra/bicep/restore.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

export interface CompiledTemplate {
    /** The ARM JSON of infra/main.bicep. */
    template: Record<string, unknown>;
    /** The ARM JSON as text, for searches over everything in it. */
    text: string;
    /** What the compiler printed besides the template (diagnostics); empty when clean. */
    diagnostics: string;
}

export function compileTemplate(): CompiledTemplate {
    const result = spawnSync(bicepCli(), ['build', 'infra/main.bicep', '--stdout'], { cwd: REPOSITORY_ROOT, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`bicep build failed:\n${result.stderr}`);
    return { template: JSON.parse(result.stdout) as Record<string, unknown>, text: result.stdout, diagnostics: result.stderr.trim() };
}

/** The template evaluated for one set of parameters, with deployment-time values filled in. */
export class Deployment {
    readonly resources: PredictedResource[];
    readonly outputs: Record<string, unknown>;

    constructor(
        readonly scenario: string,
        readonly parameters: Readonly<Record<string, ParameterValue>>,
        snapshot: { predictedResources: unknown[]; outputs?: Record<string, unknown> },
    ) {
        const context = { parameters, reference: runtimeProperties };
        this.resources = snapshot.predictedResources.map((resource) => evaluateArm(resource, context) as PredictedResource);
        this.outputs = evaluateArm(snapshot.outputs ?? {}, context) as Record<string, unknown>;
    }

    all(type: string): PredictedResource[] {
        return this.resources.filter((resource) => resource.type.toLowerCase() === type.toLowerCase());
    }

    /** The one resource of `type`; throws when there are none or several. */
    one(type: string): PredictedResource {
        const found = this.all(type);
        if (found.length !== 1) throw new Error(`${this.scenario}: expected one ${type}, found ${found.length}.`);
        return found[0] as PredictedResource;
    }

    /** The function app's configuration resource `name` (appsettings, authsettingsV2), if the template writes it. */
    siteConfig(name: string): PredictedResource | undefined {
        return this.all('Microsoft.Web/sites/config').find((config) => config.name.split('/').pop()?.toLowerCase() === name.toLowerCase());
    }

    /** The function app's settings as the template writes them. */
    appSettings(): Record<string, string> {
        const settings = this.siteConfig('appsettings');
        if (settings === undefined) throw new Error(`${this.scenario}: the template writes no app settings.`);
        return settings.properties as Record<string, string>;
    }

    /**
     * The settings as the app sees them: the platform replaces each `@Microsoft.KeyVault(SecretUri=...)`
     * with the value of that secret (here: the secret resource the template writes to that URI).
     */
    resolvedAppSettings(): Record<string, string> {
        return Object.fromEntries(
            Object.entries(this.appSettings()).map(([name, value]) => {
                const reference = /^@Microsoft\.KeyVault\(SecretUri=(.+)\)$/.exec(value);
                if (reference === null) return [name, value];
                const secret = this.all('Microsoft.KeyVault/vaults/secrets').find((s) => runtimeProperties(s.id).secretUri === reference[1]);
                if (secret === undefined) throw new Error(`${this.scenario}: ${name} refers to ${reference[1]}, which the template does not create.`);
                return [name, String(secret.properties?.value)];
            }),
        );
    }
}

/**
 * Runs `bicep snapshot` for the scenario and evaluates what it leaves for deployment time; a parameter the
 * scenario leaves out has the template's default (snapshot leaves @secure() ones for deployment time too).
 */
export function deploy(scenario: string, parameters: Record<string, ParameterValue>, compiled: CompiledTemplate): Deployment {
    mkdirSync(SCENARIO_DIR, { recursive: true });
    const paramFile = path.join(SCENARIO_DIR, `${scenario}.bicepparam`);
    const mainBicep = path.relative(SCENARIO_DIR, path.join(REPOSITORY_ROOT, 'infra/main.bicep')).split(path.sep).join('/');
    const lines = [`using '${mainBicep}'`, ...Object.entries(parameters).map(([name, value]) => `param ${name} = ${bicepLiteral(value)}`)];
    writeFileSync(paramFile, `${lines.join('\n')}\n`);
    const args = ['snapshot', paramFile, '--mode', 'overwrite', '--subscription-id', SUBSCRIPTION_ID, '--tenant-id', DEPLOYING_TENANT_ID, '--location', LOCATION];
    const result = spawnSync(bicepCli(), args, { cwd: REPOSITORY_ROOT, encoding: 'utf8' });
    // The deployment engine inside the CLI evaluated a fail(): the deployment would stop with this message.
    const refused = /could not be completed for the following reason: '(.*)'\.?\s*$/s.exec(`${result.stdout}${result.stderr}`);
    if (refused?.[1] !== undefined) throw new ArmDeploymentFailure(refused[1]);
    if (result.status !== 0 || result.stderr.trim() !== '') throw new Error(`bicep snapshot (${scenario}) failed:\n${result.stdout}${result.stderr}`);
    const snapshot = JSON.parse(readFileSync(paramFile.replace(/\.bicepparam$/, '.snapshot.json'), 'utf8')) as {
        predictedResources: unknown[];
        outputs?: Record<string, unknown>;
        diagnostics?: unknown[];
    };
    if ((snapshot.diagnostics ?? []).length > 0) throw new Error(`bicep snapshot (${scenario}) reported ${JSON.stringify(snapshot.diagnostics)}`);
    const declared = compiled.template.parameters as Record<string, { defaultValue?: unknown }>;
    const defaults = Object.fromEntries(
        Object.entries(declared).flatMap(([name, { defaultValue }]) =>
            typeof defaultValue === 'string' && defaultValue.startsWith('[') ? [] : defaultValue === undefined ? [] : [[name, defaultValue as ParameterValue]],
        ),
    );
    return new Deployment(scenario, { ...defaults, ...parameters }, snapshot);
}

function bicepLiteral(value: ParameterValue): string {
    return typeof value === 'string' ? `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : String(value);
}

/** A stable GUID for a name, so runs compare equal. */
function fakeGuid(...parts: string[]): string {
    const hex = createHash('sha256').update(parts.join('/')).digest('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** `{ type, names }` of a resource id, e.g. Microsoft.KeyVault/vaults/secrets and [vault, secret]. */
export function parseResourceId(id: string): { type: string; names: string[] } {
    const at = id.lastIndexOf('/providers/');
    const parts = id.slice(at + '/providers/'.length).split('/');
    const types = [parts[0] as string];
    const names: string[] = [];
    for (let i = 1; i < parts.length; i += 2) {
        types.push(parts[i] as string);
        names.push(parts[i + 1] as string);
    }
    return { type: types.join('/'), names };
}

/** What `reference(id)` returns in Azure for the properties this template reads (shapes from the REST API). */
export function runtimeProperties(id: string): Record<string, unknown> {
    const { type, names } = parseResourceId(id);
    const name = names[names.length - 1] as string;
    switch (type.toLowerCase()) {
        case 'microsoft.storage/storageaccounts':
            return {
                primaryEndpoints: Object.fromEntries(['blob', 'queue', 'table', 'file', 'dfs'].map((service) => [service, `https://${name}.${service}.core.windows.net/`])),
            };
        case 'microsoft.managedidentity/userassignedidentities':
            return { clientId: fakeGuid('client', name), principalId: fakeGuid('principal', name), tenantId: DEPLOYING_TENANT_ID };
        case 'microsoft.insights/components': {
            const key = fakeGuid('instrumentation-key', name);
            return {
                InstrumentationKey: key,
                ConnectionString: `InstrumentationKey=${key};IngestionEndpoint=https://${LOCATION}-0.in.applicationinsights.azure.com/;ApplicationId=${fakeGuid('app', name)}`,
            };
        }
        case 'microsoft.web/sites':
            // New apps get a unique default host name (name-hash.region-01.azurewebsites.net).
            return { defaultHostName: `${name}-${fakeGuid('host', name).slice(0, 16).replace(/-/g, '')}.${LOCATION}-01.azurewebsites.net` };
        case 'microsoft.keyvault/vaults/secrets':
            return { secretUri: `https://${names[0]}.vault.azure.net/secrets/${name}` };
        default:
            throw new Error(`No deployment-time values known for ${type} (${id}); add them with their documented shape.`);
    }
}
