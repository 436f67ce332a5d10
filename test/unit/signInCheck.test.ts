// calls doctor's sign-in check: API_AUTH against what the platform says about App Service Authentication, in Azure
// and locally (where the local host's --sign-in plays the platform).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { signInCheck } from '../../shared/doctor/signInCheck';
import { loadConfig } from '../../shared/settings/config';

const base = { AzureWebJobsStorage: 'UseDevelopmentStorage=true', CallHistoryStorage: 'UseDevelopmentStorage=true', BOT_APP_ID: 'bot-app' };
const azure = { ...base, WEBSITE_INSTANCE_ID: 'a4c5d6e7' };
const REGISTRATION = '7f3c2b1a-0d9e-4c8b-a7f6-e5d4c3b2a190';
const OTHER = '11112222-3333-4444-8555-666677778888';

async function verdictFor(env: Record<string, string>) {
    return signInCheck.run({ config: loadConfig(env) });
}

describe('the sign-in check', () => {
    test('function keys: fine alone; wrong with the platform signing people in as well', async () => {
        // act
        const keys = await verdictFor(azure);
        const both = await verdictFor({ ...azure, WEBSITE_AUTH_ENABLED: 'True' });

        // assess
        assert.equal(keys.status, 'ok');
        assert.equal(both.status, 'fail');
        assert.match(both.detail, /people who sign in still get 401/);
        assert.match(both.action ?? '', /Set API_AUTH=entra/);
    });

    test('entra in Azure: needs the platform on and AUTH_CLIENT_ID, the same registration the platform signs people in for', async () => {
        // act
        const right = await verdictFor({
            ...azure,
            API_AUTH: 'entra',
            WEBSITE_AUTH_ENABLED: 'True',
            AUTH_CLIENT_ID: REGISTRATION,
            WEBSITE_AUTH_CLIENT_ID: REGISTRATION.toUpperCase(),
        });
        const unsaid = await verdictFor({ ...azure, API_AUTH: 'entra', WEBSITE_AUTH_ENABLED: 'True', AUTH_CLIENT_ID: REGISTRATION });
        const noRegistration = await verdictFor({ ...azure, API_AUTH: 'entra', WEBSITE_AUTH_ENABLED: 'True' });
        const another = await verdictFor({ ...azure, API_AUTH: 'entra', WEBSITE_AUTH_ENABLED: 'True', AUTH_CLIENT_ID: REGISTRATION, WEBSITE_AUTH_CLIENT_ID: OTHER });

        // assess
        assert.equal(right.status, 'ok');
        assert.match(right.detail, /the platform signs people in for the same one/);
        assert.equal(unsaid.status, 'ok');
        assert.match(unsaid.detail, /the platform does not say which registration it uses here/);
        assert.equal(noRegistration.status, 'fail');
        assert.match(noRegistration.detail, /AUTH_CLIENT_ID is not set/);
        assert.equal(another.status, 'fail');
        assert.match(another.detail, new RegExp(`signs people in for registration ${OTHER} \\(WEBSITE_AUTH_CLIENT_ID\\), but AUTH_CLIENT_ID is ${REGISTRATION}`));
    });

    test('entra locally: behind the local sign-in it is fine without a registration; without it every request is refused', async () => {
        // act
        const local = await verdictFor({ ...base, API_AUTH: 'entra', WEBSITE_AUTH_ENABLED: 'True' });
        const off = await verdictFor({ ...base, API_AUTH: 'entra' });

        // assess
        assert.equal(local.status, 'ok');
        assert.match(local.detail, /local host's sign-in/);
        assert.equal(off.status, 'fail');
        assert.match(off.detail, /every API request is refused 401/);
        assert.match(off.action ?? '', /npm start -- --sign-in/);
    });
});
