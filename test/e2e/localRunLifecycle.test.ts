// `npm start` across its life: the call history kept in its data folder survives a restart, and a child that
// dies takes the whole run down with a message that names it, instead of leaving half a system running.

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { portInUse } from '../../dev/ports';
import { eventually, newFolders, removeFolders, startLocalRun } from '../support/e2eLocalRun';

const folders = newFolders();
after(() => removeFolders(folders));

test('the history survives a restart, and the death of the Functions host stops the run and names it', async () => {
    // prepare: one call recorded by a first run, which is then stopped
    const first = await startLocalRun({ folders });
    let callId: string;
    try {
        const created = await first.simulator('POST', '/_control/calls', { callbackUri: `${first.apiUrl}/callback` });
        assert.equal(created.status, 201, created.text);
        callId = (created.json as { id: string }).id;
        await eventually(
            () => first.app('GET', `/calls/${callId}`),
            (answer) => answer.status === 200 && (answer.json as { callState?: string }).callState === 'established',
            undefined,
            'the first run recording the call',
        );
    } finally {
        assert.equal((await first.stop('SIGTERM')).code, 0);
    }

    // act: a second run on the same data folder (other ports), whose host is then killed
    const second = await startLocalRun({ folders });
    let remembered: Awaited<ReturnType<typeof second.app>>;
    let ended: Awaited<ReturnType<typeof second.exited>>;
    try {
        remembered = await second.app('GET', `/calls/${callId}`);
        process.kill(second.pids.functions, 'SIGKILL');
        ended = await second.exited();
    } finally {
        await second.stop('SIGTERM'); // a no-op when it has ended as it should
    }

    // assess
    assert.equal(remembered.status, 200, remembered.text);
    assert.equal((remembered.json as { callState?: string }).callState, 'established');
    assert.equal(ended.code, 1, ended.stdout + ended.stderr);
    assert.match(ended.stderr, new RegExp(`Functions host \\(pid ${second.pids.functions}\\) was killed by SIGKILL unexpectedly; stopping everything else\\.`));
    assert.match(ended.stdout, /Everything stopped\.\n$/);
    for (const port of [second.ports.simulator, second.ports.azurite, second.ports.functions]) {
        assert.equal(await portInUse(port), false, `port ${port} is free again`);
    }
    assert.throws(() => process.kill(second.pids.azurite, 0), { code: 'ESRCH' }, 'Azurite was stopped too');
});
