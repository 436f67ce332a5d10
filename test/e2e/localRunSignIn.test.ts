// `npm start -- --sign-in` as a real process: the local host plays App Service Authentication and the app runs with
// API_AUTH=entra, and the Ready block says how to sign in. Then `npm run demo` against it: a reader is refused the
// hang-up with the role they lack, an operator's hang-up is recorded with their name and reason. Then Ctrl-C.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { stableId } from '../../dev/host/localSignIn';
import { newFolders, removeFolders, runScript, startLocalRun, type LocalRunFolders, type LocalRunProcess } from '../support/e2eLocalRun';

describe('npm start -- --sign-in, end to end', () => {
    let folders: LocalRunFolders;
    let run: LocalRunProcess;

    before(async () => {
        folders = newFolders();
        run = await startLocalRun({ folders, env: { RECONCILE_SCHEDULE: '0 0 0 1 1 *' }, args: ['--sign-in'] });
    });
    after(async () => {
        await run?.stop('SIGTERM').catch(() => undefined);
        if (folders !== undefined) removeFolders(folders);
    });

    test('the Ready block says where people sign in, and that API_AUTH=entra is set for this run', () => {
        // assess
        const origin = new URL(run.apiUrl).origin;
        assert.ok(run.output().includes(`  Sign-in        ${origin}/.auth/login/aad   the host plays App Service Authentication`), run.output());
        assert.match(run.output(), /set for this run \(the environment wins over the file\): .*API_AUTH/);
    });

    test('the API wants a signed-in principal: no session, no answer', async () => {
        // act
        const answer = await run.app('GET', '/calls');

        // assess
        assert.equal(answer.status, 401);
    });

    test("npm run demo signs in: a reader is refused the hang-up, naming the role; the operator's hang-up is recorded with their name and reason", async () => {
        // act
        const { code, stdout, stderr } = await runScript('demo', [
            '--api',
            run.apiUrl,
            '--simulator',
            run.simulatorUrl,
            '--ca',
            run.simulatorCaFile,
            '--bot',
            `http://localhost:${run.ports.bot}`,
            '--settings',
            folders.settingsFile,
        ]);

        // assess
        assert.equal(code, 0, `${stdout}\n${stderr}`);
        const actOne = stdout.slice(0, stdout.indexOf('\nAct two:'));
        assert.match(actOne, /\(people sign in: http:\/\/localhost:\d+\/\.auth\/login\/aad\)/);
        assert.match(
            actOne,
            /Grace Hopper \(CallRecord\.Read\): DELETE http:\/\/localhost:\d+\/api\/calls\/[0-9a-f-]{36} -> 403\n {5}This needs the app role CallRecord\.Operate, and Grace Hopper \(/,
        );
        assert.match(actOne, /Ada Lovelace \(CallRecord\.Operate\): DELETE http:\/\/localhost:\d+\/api\/calls\/[0-9a-f-]{36} \{"reason":"the caller asked to end it"\} -> 204/);
        const hangUpLine = actOne.split('\n').find((line) => / hangupRequest /.test(line)) ?? '';
        assert.match(hangUpLine, new RegExp(`Graph answered 204\\. request-id \\S+ by Ada Lovelace \\(${stableId('user:object:Ada Lovelace')}\\): "the caller asked to end it"$`));
        assert.match(stdout, /11\. Graph answered the reconciler 404, so the app closed the call/, 'act two runs signed in too');
    });
});
