// Microsoft Graph: an app-only token with the credential the app uses (never printed), the application
// permissions in its `roles` against what the enabled features need, and the bot's app id against the app that
// token is for: Graph addresses a call's notifications to the app that created or answered the call, so a
// BOT_APP_ID that is not that app refuses every callback (401, reason audience).

import { loadJose } from '../callback/loadJose';
import type { AppConfig } from '../settings/config';
import { graphCredential } from '../settings/credentials';
import { CHECK_TIMEOUT_MS, firstLine, withSettings, type DoctorCheck } from './doctorCheck';

const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';

/** The application permissions that let the app act on the calls it created or answered. */
const CALLING_ROLES = ['Calls.Initiate.All', 'Calls.InitiateGroupCall.All', 'Calls.JoinGroupCall.All', 'Calls.JoinGroupCallAsGuest.All', 'Calls.AccessMedia.All'];

/** What a feature needs of the Graph token's roles (any one of them), when the settings turn it on. */
interface GraphPermissionNeed {
    feature: string;
    anyOf: readonly string[];
    /** The one to grant when none is there. */
    grant: string;
    needed(config: AppConfig): boolean;
}

/** One entry per feature that calls Graph. */
const GRAPH_PERMISSION_NEEDS: readonly GraphPermissionNeed[] = [
    { feature: 'hang-ups, the reconciler and keepAlive', anyOf: CALLING_ROLES, grant: 'Calls.Initiate.All', needed: () => true },
    { feature: "Graph's call records (CALL_RECORDS=on)", anyOf: ['CallRecords.Read.All'], grant: 'CallRecords.Read.All', needed: (config) => config.callRecords !== undefined },
];

export const graphTokenCheck: DoctorCheck = {
    id: 'graph-token',
    title: 'a Graph token',
    run: (context) =>
        withSettings(context, async ({ graph }) => {
            let token: string;
            try {
                const got = await graphCredential(graph.credential).getToken(GRAPH_SCOPE, { abortSignal: AbortSignal.timeout(CHECK_TIMEOUT_MS) });
                if (got === null) throw new Error('the credential gave no token');
                token = got.token;
            } catch (err) {
                return { status: 'fail', detail: `No token for ${GRAPH_SCOPE}: ${entraReason(err)}`, action: tokenAction(graph.credential.kind) };
            }
            const claims = loadJose().decodeJwt(token);
            const appId = stringClaim(claims.appid) ?? stringClaim(claims.azp);
            const appName = stringClaim(claims.app_displayname);
            const tenantId = stringClaim(claims.tid);
            context.graphToken = {
                roles: Array.isArray(claims.roles) ? claims.roles.filter((role): role is string => typeof role === 'string') : [],
                ...(appId === undefined ? {} : { appId }),
                ...(appName === undefined ? {} : { appName }),
                ...(tenantId === undefined ? {} : { tenantId }),
            };
            return { status: 'ok', detail: `A token for app ${appId ?? '(no appid)'}${appName === undefined ? '' : ` (${appName})`} in tenant ${tenantId ?? '(no tid)'}.` };
        }),
};

export const graphPermissionsCheck: DoctorCheck = {
    id: 'graph-permissions',
    title: "the Graph permissions the app's features need",
    run: (context) =>
        withSettings(context, async (config) => {
            const token = context.graphToken;
            if (token === undefined) return { status: 'skip', detail: 'There is no Graph token to read its permissions from (see above).' };
            const held = token.roles.length === 0 ? 'no application permissions' : `roles ${token.roles.join(', ')}`;
            const missing = GRAPH_PERMISSION_NEEDS.filter((need) => need.needed(config) && !need.anyOf.some((role) => token.roles.includes(role)));
            if (missing.length > 0) {
                return {
                    status: 'fail',
                    detail: `The token carries ${held}: nothing for ${missing.map((need) => `${need.feature} (one of ${need.anyOf.join(', ')})`).join('; ')}. Graph refuses them with 403.`,
                    action: `Add the Microsoft Graph application permission ${missing.map((need) => need.grant).join(', ')} to app ${token.appId ?? ''} and grant admin consent (docs/teams-wiring.md); tokens carry a new permission within the hour, or at once after the app restarts.`,
                };
            }
            const features = GRAPH_PERMISSION_NEEDS.filter((need) => need.needed(config)).map((need) => need.feature);
            return { status: 'ok', detail: `The token carries ${held}: enough for ${features.join(', ')}.` };
        }),
};

export const botAppIdCheck: DoctorCheck = {
    id: 'bot-app-id',
    title: 'BOT_APP_ID, the audience of callback tokens',
    run: (context) =>
        withSettings(context, async ({ callbackAuth }) => {
            if (!callbackAuth.enabled) return { status: 'skip', detail: 'The callback checks no token (CALLBACK_AUTH=disabled).' };
            const appId = context.graphToken?.appId;
            if (appId === undefined) return { status: 'skip', detail: 'There is no Graph token to compare with (see above).' };
            if (appId.toLowerCase() === callbackAuth.audience.toLowerCase()) {
                return { status: 'ok', detail: `BOT_APP_ID is the app the Graph token is for (${appId}): Graph's callback tokens for its calls are addressed to it.` };
            }
            return {
                status: 'fail',
                detail: `BOT_APP_ID is ${callbackAuth.audience}, but the app signs in to Graph as ${appId}. Graph addresses a call's notifications to the app that created or answered the call, so every callback would be refused (401, reason audience).`,
                action: `Set BOT_APP_ID to ${appId}, the bot's Microsoft App ID (or leave it unset: it defaults to AZURE_CLIENT_ID), unless the bot deliberately calls Graph as another app.`,
            };
        }),
};

function stringClaim(value: unknown): string | undefined {
    return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Entra's own reason (`AADSTS7000215: Invalid client secret provided.`) when it gave one. */
function entraReason(err: unknown): string {
    const message = err instanceof Error ? err.message : String(err);
    return /AADSTS\d+:[^\r\n]*/.exec(message)?.[0] ?? firstLine(err);
}

function tokenAction(kind: AppConfig['graph']['credential']['kind']): string {
    switch (kind) {
        case 'clientSecret':
            return 'Check AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (a client secret expires: make a new one, docs/teams-wiring.md).';
        case 'managedIdentity':
            return 'Check that the Function App has the managed identity AZURE_CLIENT_ID names.';
        case 'default':
            return 'Set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET for the bot, or sign in with az login.';
    }
}
