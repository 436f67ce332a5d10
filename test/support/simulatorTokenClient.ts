// Child process for the simulator tests: the real @azure/identity ClientSecretCredential and @azure/core-rest-pipeline
// against the simulator, trusting its CA through NODE_EXTRA_CA_CERTS (which only works from process start).
// Input in SIM_* variables; prints one JSON line with what happened.

import { type AccessToken, ClientSecretCredential } from '@azure/identity';
import { bearerTokenAuthenticationPolicy, createDefaultHttpClient, createPipelineFromOptions, createPipelineRequest } from '@azure/core-rest-pipeline';

export interface TokenClientResult {
    ok: boolean;
    /** Distinct access tokens over all getToken calls. */
    distinctTokens?: number;
    token?: string;
    expiresOnTimestamp?: number;
    /** The DELETE sent through a real pipeline, when SIM_DELETE_URL was given. */
    deleteStatus?: number;
    deleteRequestId?: string;
    errorName?: string;
    errorMessage?: string;
}

const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';

async function run(): Promise<TokenClientResult> {
    const env = (name: string): string => {
        const value = process.env[name];
        if (value === undefined) throw new Error(`${name} is not set.`);
        return value;
    };
    const credential = new ClientSecretCredential(env('SIM_TENANT_ID'), env('SIM_CLIENT_ID'), env('SIM_CLIENT_SECRET'), {
        authorityHost: env('SIM_AUTHORITY_HOST'),
        disableInstanceDiscovery: true,
    });
    const tokens = new Set<string>();
    let last: AccessToken | undefined;
    for (let i = 0; i < Number(process.env.SIM_GET_TOKEN_CALLS ?? '1'); i++) {
        last = await credential.getToken(GRAPH_SCOPE);
        tokens.add(last.token);
    }
    const result: TokenClientResult = {
        ok: true,
        distinctTokens: tokens.size,
        ...(last ? { token: last.token, expiresOnTimestamp: last.expiresOnTimestamp } : {}),
    };
    const deleteUrl = process.env.SIM_DELETE_URL;
    if (deleteUrl !== undefined) {
        const pipeline = createPipelineFromOptions({ retryOptions: { maxRetries: 0 } });
        pipeline.addPolicy(bearerTokenAuthenticationPolicy({ credential, scopes: GRAPH_SCOPE }));
        const response = await pipeline.sendRequest(createDefaultHttpClient(), createPipelineRequest({ url: deleteUrl, method: 'DELETE' }));
        result.deleteStatus = response.status;
        result.deleteRequestId = response.headers.get('request-id') ?? '';
    }
    return result;
}

run().then(
    (result) => console.log(JSON.stringify(result)),
    (err: unknown) => {
        const error = err instanceof Error ? err : new Error(String(err));
        console.log(JSON.stringify({ ok: false, errorName: error.name, errorMessage: error.message } satisfies TokenClientResult));
    },
);
