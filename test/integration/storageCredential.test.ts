// Which identity the app's table requests are signed as, through the local host: Azurite checks Entra bearer
// tokens over HTTPS, a recording proxy in front of it keeps each request's Authorization header, a stand-in for
// App Service's managed identity endpoint (IDENTITY_ENDPOINT + IDENTITY_HEADER) and one for the developer's
// `az` login issue the tokens, and the call simulator plays Entra and Graph for the bot's client secret.
// The bot's AZURE_CLIENT_SECRET is set throughout: storage must never sign in with it.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { TableClient } from '@azure/data-tables';
import { startAzurite, type RunningAzurite } from '../../dev/azurite';
import { simulatorAppSettings, startSimulator, type RunningSimulator } from '../../dev/simulator';
import { fakeAzureCliLogin, type DeveloperLogin } from '../support/developerLogin';
import { startHostProcess } from '../support/hostProcess';
import { startManagedIdentityEndpoint, type ManagedIdentityEndpoint } from '../support/managedIdentityEndpoint';
import { checkedFetch } from '../support/openApi';
import { startRecordingProxy, type RecordingProxy } from '../support/recordingProxy';
import { partitionRows, uniqueTableName } from '../support/storage';
import { testTls, testTlsFiles } from '../support/tls';

/** The user-assigned identity the app is given (`CallHistoryStorage__clientId`). */
const MANAGED_IDENTITY_CLIENT_ID = '5b1d2c3e-7f80-4a91-b2c3-d4e5f6a7b8c9';
const STORAGE_RESOURCE = 'https://storage.azure.com';

describe('storage reached by identity never signs in with the Graph client secret', () => {
    let azurite: RunningAzurite;
    let proxy: RecordingProxy;
    let managedIdentity: ManagedIdentityEndpoint;
    let sim: RunningSimulator;
    let login: DeveloperLogin;

    before(async () => {
        azurite = await startAzurite({ port: 0, oauth: testTlsFiles() });
        [proxy, managedIdentity, sim] = await Promise.all([
            startRecordingProxy(new URL(azurite.tableEndpoint).origin),
            startManagedIdentityEndpoint('11111111-1111-4111-8111-111111111111'),
            startSimulator({ port: 0, tls: testTls() }),
        ]);
        login = await fakeAzureCliLogin(sim.tenantId, 'developer@contoso.example');
    });
    beforeEach(() => sim.reset());
    after(async () => {
        await Promise.all([proxy?.stop(), managedIdentity?.stop(), sim?.stop()]);
        await azurite?.stop();
        login?.remove();
    });

    /** The bot as configured with a client secret for Graph, its table reached by identity through the proxy. */
    function appSettings(tableName: string): Record<string, string> {
        return {
            ...simulatorAppSettings(sim),
            CallHistoryStorage__tableServiceUri: `${proxy.origin}/devstoreaccount1`,
            CallHistoryStorage__clientId: MANAGED_IDENTITY_CLIENT_ID,
            CALL_HISTORY_TABLE: tableName,
        };
    }

    /** The simulator places a call that notifies the app, and the bot hangs it up through the app. */
    async function callAndHangUp(baseUrl: string): Promise<string> {
        const call = sim.createCall({ callbackUri: `${baseUrl}/callback` });
        await sim.settled();
        const hangup = await checkedFetch(`${baseUrl}/calls/${call.id}`, { method: 'DELETE' });
        assert.equal(hangup.status, 204, await hangup.text());
        await sim.settled();
        return call.id;
    }

    function bearerTokens(requests: ReturnType<RecordingProxy['requests']>): string[] {
        return requests.map((request) => /^Bearer (\S+)$/.exec(request.authorization ?? '')?.[1] ?? `not a bearer token: ${request.authorization}`);
    }

    async function storedStates(tableName: string, callId: string): Promise<unknown[]> {
        const table = TableClient.fromConnectionString(azurite.connectionString, tableName);
        return (await partitionRows(table, callId)).filter((row) => String(row.rowKey).startsWith('event-')).map((row) => row.callState ?? row.kind);
    }

    test("in Azure (IDENTITY_ENDPOINT set), with AZURE_CLIENT_SECRET set, table requests carry the managed identity's token for __clientId", async () => {
        // prepare
        const tableName = uniqueTableName('managedIdentity');
        const host = await startHostProcess({ env: { ...appSettings(tableName), ...managedIdentity.env } });
        const seenBefore = proxy.requests().length;
        try {
            // act
            const callId = await callAndHangUp(host.baseUrl);
            const summary = await checkedFetch(`${host.baseUrl}/calls/${callId}`);

            // assess: everything was stored and read back...
            assert.equal(summary.status, 200);
            assert.deepEqual(
                sim.stats().deliveries.map((delivery) => delivery.status),
                sim.stats().deliveries.map(() => 202),
            );
            assert.deepEqual(await storedStates(tableName, callId), ['establishing', 'established', 'hangupRequest', 'terminating', 'terminated']);
            // ...signed by the user-assigned managed identity, asked for the way App Service expects...
            const signed = proxy.requests().slice(seenBefore);
            assert.ok(signed.length >= 4, `${signed.length} storage requests`);
            assert.deepEqual(new Set(bearerTokens(signed).map((token) => managedIdentity.identityOf(token) ?? token)), new Set([MANAGED_IDENTITY_CLIENT_ID]));
            assert.deepEqual(
                new Set(managedIdentity.requests().map((request) => JSON.stringify(request))),
                new Set([
                    JSON.stringify({
                        apiVersion: '2019-08-01',
                        resource: STORAGE_RESOURCE,
                        clientId: MANAGED_IDENTITY_CLIENT_ID,
                        identityHeader: managedIdentity.env.IDENTITY_HEADER,
                    }),
                ]),
            );
            // ...while Graph got the bot's secret-based token, and Entra was asked for nothing else.
            assert.equal(sim.stats().tokensIssued, 1);
            assert.equal(sim.stats().tokenRequests, 1);
            assert.equal(login.invocations().length, 0, 'the developer login is not used in Azure');
        } finally {
            await host.stop();
        }
    });

    test("elsewhere, with AZURE_CLIENT_SECRET set, table requests carry the developer's Azure CLI login", async () => {
        // prepare
        const tableName = uniqueTableName('developerLogin');
        const host = await startHostProcess({ env: { ...appSettings(tableName), PATH: `${login.binFolder}${path.delimiter}${process.env.PATH ?? ''}` } });
        const seenBefore = proxy.requests().length;
        const managedIdentityRequestsBefore = managedIdentity.requests().length;
        try {
            // act
            const callId = await callAndHangUp(host.baseUrl);

            // assess
            assert.deepEqual(await storedStates(tableName, callId), ['establishing', 'established', 'hangupRequest', 'terminating', 'terminated']);
            const signed = proxy.requests().slice(seenBefore);
            assert.ok(signed.length >= 4, `${signed.length} storage requests`);
            assert.deepEqual(new Set(bearerTokens(signed)), new Set([login.token]));
            assert.deepEqual(login.invocations()[0], ['account', 'get-access-token', '--output', 'json', '--resource', STORAGE_RESOURCE]);
            assert.equal(managedIdentity.requests().length, managedIdentityRequestsBefore, 'no managed identity outside Azure');
            assert.equal(sim.stats().tokenRequests, 1, 'Entra was asked for the Graph token only');
        } finally {
            await host.stop();
        }
    });
});
