// Connection strings: one parser for the settings check, the table client and the command line, and it
// accepts exactly what @azure/data-tables can use, so a setting accepted at start-up never fails later.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TableClient } from '@azure/data-tables';
import { describeStorage } from '../../cli/settings';
import { loadStorageConfig } from '../../shared/settings/config';
import { connectionStringParts, tableEndpointOf } from '../../shared/settings/connectionString';
import { ConfigError } from '../../shared/errors';

const KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

const CONNECTION_STRINGS = [
    'UseDevelopmentStorage=true',
    'usedevelopmentstorage=TRUE;',
    'DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=a2V5;EndpointSuffix=core.windows.net',
    'defaultendpointsprotocol=https;accountname=acct;accountkey=a2V5;endpointsuffix=core.usgovcloudapi.net;',
    `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${KEY};TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;`,
    ` DefaultEndpointsProtocol=https ; AccountName=acct ; AccountKey=a2V5 ; TableEndpoint=https://acct.table.core.windows.net/ `,
    'TableEndpoint=https://acct.table.core.windows.net;SharedAccessSignature=sv=2019-02-02&tn=calls&sig=abc%3D',
    'SharedAccessSignature=sv=1&sig=x;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1',
    // Refused by the table client; the settings used to accept the first two and fail at the first request.
    'AccountName=acct;AccountKey=a2V5;EndpointSuffix=core.windows.net',
    'SharedAccessSignature=sv=1&sig=x;AccountName=acct',
    'DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=a2V5',
    'DefaultEndpointsProtocol=ftp;AccountName=acct;AccountKey=a2V5;EndpointSuffix=core.windows.net',
    'DefaultEndpointsProtocol=https;AccountName=;AccountKey=a2V5;EndpointSuffix=core.windows.net',
    'DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=;EndpointSuffix=core.windows.net',
    'TableEndpoint = https://acct.table.core.windows.net;SharedAccessSignature=sv=1',
    'TableEndpoint=not a url;SharedAccessSignature=sv=1',
    'TableEndpoint=https://acct.table.core.windows.net',
    'UseDevelopmentStorage=false',
    'nonsense',
    '',
];

function sdkEndpoint(connectionString: string): string | undefined {
    try {
        // The SAS rides on the client's URL as its query.
        return TableClient.fromConnectionString(connectionString, 'T1').url.split('?')[0]?.replace(/\/$/, '');
    } catch {
        return undefined;
    }
}

describe('connection strings', () => {
    test('the settings accept exactly the connection strings the table client can use, and name the same endpoint', () => {
        for (const connectionString of CONNECTION_STRINGS) {
            assert.equal(tableEndpointOf(connectionString), sdkEndpoint(connectionString), JSON.stringify(connectionString));
        }
    });

    test('a connection string the table client cannot use stops start-up with the setting named', () => {
        assert.throws(
            () => loadStorageConfig({ CallHistoryStorage: 'AccountName=acct;AccountKey=a2V5;EndpointSuffix=core.windows.net' }),
            (err: unknown) => err instanceof ConfigError && err.setting === 'CallHistoryStorage' && /DefaultEndpointsProtocol/.test(err.message),
        );
    });

    test('names compare case-insensitively; values keep their "=" and their case', () => {
        const parts = connectionStringParts(`accountName=Acct;ACCOUNTKEY=${KEY};;junk;AccountName=second`);
        assert.deepEqual(
            [...parts],
            [
                ['accountname', 'Acct'],
                ['accountkey', KEY],
            ],
        );
    });

    test('the command line names the endpoint the settings found, never the key or the SAS', () => {
        const describe = (connectionString: string) => describeStorage(loadStorageConfig({ CallHistoryStorage: connectionString }));

        assert.equal(
            describe('DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=c2VjcmV0;EndpointSuffix=core.windows.net'),
            'table CallHistory at https://acct.table.core.windows.net (from CallHistoryStorage)',
        );
        assert.equal(describe('UseDevelopmentStorage=true'), 'table CallHistory at http://127.0.0.1:10002/devstoreaccount1 (from CallHistoryStorage)');
        const sas = describe('TableEndpoint=https://a.table.core.windows.net;SharedAccessSignature=sv=1&sig=abc');
        assert.equal(sas, 'table CallHistory at https://a.table.core.windows.net (from CallHistoryStorage)');
    });
});
