// The local Functions host (dev/host/main.ts) over real HTTP, serving the fixture app in test/fixtures/hostApp:
// routing as the Azure host does it, request and response conversion by the real @azure/functions, logs,
// settings, hooks, start-up failures and graceful shutdown.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { HostExitedError, REPOSITORY_ROOT, startHostProcess, type HostProcess } from '../support/hostProcess';

const FIXTURE_APP = path.join(REPOSITORY_ROOT, 'test/fixtures/hostApp');

interface Problem {
    type: string;
    title: string;
    status: number;
    detail: string;
}

interface FixtureHostOptions {
    env?: Record<string, string>;
    settingsFile?: string;
    port?: number;
}

function startFixtureHost(options: FixtureHostOptions = {}): Promise<HostProcess> {
    return startHostProcess({ appDir: FIXTURE_APP, env: options.env ?? {}, settingsFile: options.settingsFile, port: options.port });
}

async function json<T = Record<string, unknown>>(response: Response): Promise<T> {
    assert.match(response.headers.get('content-type') ?? '', /json/);
    return (await response.json()) as T;
}

async function problem(response: Response, status: number): Promise<Problem> {
    assert.equal(response.status, status);
    assert.equal(response.headers.get('content-type'), 'application/problem+json');
    const body = (await response.json()) as Problem;
    assert.equal(body.status, status);
    assert.equal(body.type, 'about:blank');
    assert.ok(body.title !== '' && body.detail !== '');
    return body;
}

async function expectExit(pending: Promise<HostProcess>): Promise<HostExitedError> {
    const error = await pending.then(
        async (host) => {
            await host.stop();
            assert.fail('the host started although it should have refused to');
        },
        (err: unknown) => err,
    );
    assert.ok(error instanceof HostExitedError, String(error));
    return error;
}

describe('local host: routing and conversion', () => {
    let host: HostProcess;
    let settingsDir: string;

    before(async () => {
        settingsDir = mkdtempSync(path.join(os.tmpdir(), 'host-settings-'));
        const settingsFile = path.join(settingsDir, 'local.settings.json');
        const Values = { HOST_FIXTURE_FROM_FILE: 'from the file', HOST_FIXTURE_OVERRIDDEN: 'from the file' };
        writeFileSync(settingsFile, JSON.stringify({ IsEncrypted: false, Values }));
        host = await startFixtureHost({ env: { HOST_FIXTURE_OVERRIDDEN: 'from the process' }, settingsFile });
    });
    after(async () => {
        await host?.stop();
        rmSync(settingsDir, { recursive: true, force: true });
    });

    test('start-up lists every function with its methods and URL, and which need a key in Azure', () => {
        const logs = host.logs();
        assert.ok(host.baseUrl.endsWith('/fixture'), 'host.json routePrefix is used');
        assert.ok(logs.includes(`getItem: [GET] http://localhost:${host.port}/fixture/items/{itemId}`), logs);
        assert.ok(logs.includes(`deleteItem: [DELETE] http://localhost:${host.port}/fixture/items/{itemId}`), logs);
        assert.match(logs, /In Azure these need a key: getItem \(function\), deleteItem \(function\)\n/);
        assert.ok(logs.includes(`Host is listening on http://localhost:${host.port}/fixture\n`));
        assert.ok(logs.indexOf('fixture appStart hook ran') < logs.indexOf('Host is listening'), 'appStart hooks run before serving');
    });

    test('GET with route values and a query reaches the function as Azure passes it', async () => {
        const response = await fetch(`${host.baseUrl}/items/item-7?state=active&tag=a&tag=b`);
        assert.equal(response.status, 200);
        const body = await json(response);
        assert.equal(body.itemId, 'item-7');
        // The Azure host joins repeated query values with commas.
        assert.deepEqual(body.query, { state: 'active', tag: 'a,b' });
        assert.equal(body.url, `${host.baseUrl}/items/item-7?state=active&tag=a&tag=b`);
        assert.match(String(body.invocationId), /^[0-9a-f-]{36}$/);
    });

    test('route values are matched on the raw path, then percent-decoded', async () => {
        const slash = await json(await fetch(`${host.baseUrl}/items/a%2Fb`));
        assert.equal(slash.itemId, 'a/b');
        const accented = await json(await fetch(`${host.baseUrl}/items/caf%C3%A9%20au%20lait`));
        assert.equal(accented.itemId, 'café au lait');
    });

    test('literals and the prefix match in any case, a trailing slash is ignored, no route means the function name', async () => {
        const item = await json(await fetch(`${host.baseUrl.replace('/fixture', '/FIXTURE')}/ITEMS/AbC/`));
        assert.equal(item.itemId, 'AbC');
        const hello = await json(await fetch(`${host.baseUrl}/hello`));
        assert.equal(hello.functionName, 'Hello');
    });

    test('two functions on one template are told apart by method', async () => {
        const deleted = await fetch(`${host.baseUrl}/items/x-1`, { method: 'DELETE' });
        assert.equal(deleted.status, 204);
        assert.equal(deleted.headers.get('x-deleted-item'), 'x-1');
        assert.equal(await deleted.text(), '');
        const fetched = await json(await fetch(`${host.baseUrl}/items/x-1`));
        assert.equal(fetched.itemId, 'x-1');
    });

    test('unknown routes are 404 problem+json', async () => {
        const origin = new URL(host.baseUrl).origin;
        for (const url of [`${host.baseUrl}/nothing-here`, `${origin}/elsewhere`, `${host.baseUrl}/items`, `${host.baseUrl}/items/a/b`]) {
            const body = await problem(await fetch(url), 404);
            assert.match(body.detail, /No function answers GET/, url);
        }
    });

    test('a route that matches with another method is 404, as in Azure: the method is a route constraint', async () => {
        // Azure/azure-functions-host#10098: the Azure host answers 404, not 405, for a known route and another method.
        const put = await fetch(`${host.baseUrl}/items/x-1`, { method: 'PUT', body: 'ignored' });
        assert.equal(put.headers.get('allow'), null);
        assert.match((await problem(put, 404)).detail, /No function answers PUT \/fixture\/items\/x-1\./);
        await problem(await fetch(`${host.baseUrl}/hello`, { method: 'POST' }), 404);
        // The app's case: only the DELETE catch-all matches the path, and it must not claim the request.
        const historyx = await problem(await fetch(`${host.baseUrl}/records/abc/historyx`), 404);
        assert.doesNotMatch(historyx.detail, /DELETE/);
    });

    test('a route with a method constraint does not hide the next route that fits', async () => {
        type RouteEcho = { functionName: string; params: Record<string, string> };
        const history = await json<RouteEcho>(await fetch(`${host.baseUrl}/records/abc/history`));
        assert.deepEqual(history, { functionName: 'recordHistory', params: { recordId: 'abc' } });
        const removed = await json<RouteEcho>(await fetch(`${host.baseUrl}/records/abc/history`, { method: 'DELETE' }));
        assert.deepEqual(removed, { functionName: 'removeRecord', params: { recordId: 'abc/history' } });
    });

    test('an optional parameter is absent from params when missing and set when present', async () => {
        assert.deepEqual((await json(await fetch(`${host.baseUrl}/greet`))).params, {});
        assert.deepEqual((await json(await fetch(`${host.baseUrl}/greet/ann`))).params, { name: 'ann' });
    });

    test('constraints, precedence and catch-all parameters pick the function as ASP.NET does', async () => {
        type RouteEcho = { functionName: string; params: Record<string, string> };
        const answer = async (route: string) => json<RouteEcho>(await fetch(`${host.baseUrl}/${route}`));
        assert.deepEqual(await answer('things/special'), { functionName: 'specialThing', params: {} });
        assert.deepEqual(await answer('things/other'), { functionName: 'thingById', params: { id: 'other' } });
        assert.deepEqual(await answer('numbers/42'), { functionName: 'numberById', params: { n: '42' } });
        assert.deepEqual(await answer('numbers/abc'), { functionName: 'numberByWord', params: { word: 'abc' } });
        await problem(await fetch(`${host.baseUrl}/numbers/4a`), 404);
        await problem(await fetch(`${host.baseUrl}/numbers/99999999999`), 404); // beyond int
        assert.deepEqual(await answer('files/a/b%20c/d.txt'), { functionName: 'fileByPath', params: { path: 'a/b c/d.txt' } });
        assert.deepEqual(await answer('files'), { functionName: 'fileByPath', params: {} });
    });

    test('a binary body arrives byte for byte and goes back the same', async () => {
        const bytes = Buffer.from(Array.from({ length: 256 }, (_, index) => index));
        const response = await fetch(`${host.baseUrl}/echo/bytes`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/octet-stream' },
            body: bytes,
        });
        assert.equal(response.status, 200);
        assert.equal(response.headers.get('content-type'), 'application/octet-stream');
        assert.deepEqual(Buffer.from(await response.arrayBuffer()), bytes);
    });

    test('a JSON body reads with request.json(), a text body through the request.body stream', async () => {
        const sent = { value: [{ changeType: 'updated', n: 1.5, nested: { ok: true } }] };
        const echoed = await fetch(`${host.baseUrl}/echo/json`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify(sent),
        });
        assert.deepEqual((await json(echoed)).received, sent);
        const streamed = await fetch(`${host.baseUrl}/echo/stream`, { method: 'POST', body: 'über stream' });
        assert.deepEqual(await json(streamed), { length: Buffer.byteLength('über stream'), text: 'über stream' });
    });

    test('status, headers and several Set-Cookie are written back', async () => {
        const response = await fetch(`${host.baseUrl}/responses/headers`);
        assert.equal(response.status, 201);
        assert.equal(response.headers.get('x-fixture'), 'yes');
        assert.equal(response.headers.get('content-type'), 'text/plain; charset=utf-8');
        assert.deepEqual(response.headers.getSetCookie(), ['session=a%20b%3Bc; path=/; secure; samesite=strict; httponly', 'theme=dark; max-age=60; path=/fixture']);
        assert.equal(await response.text(), 'created');
    });

    test('an HttpResponse without status is 200, and so is returning nothing', async () => {
        const withoutStatus = await fetch(`${host.baseUrl}/responses/no-status`);
        assert.equal(withoutStatus.status, 200);
        assert.equal(await withoutStatus.text(), 'fine');
        const nothing = await fetch(`${host.baseUrl}/responses/nothing`);
        assert.equal(nothing.status, 200);
        assert.equal(await nothing.text(), '');
    });

    test('a handler that throws is a 500 problem without message or stack; the log has both', async () => {
        const body = await problem(await fetch(`${host.baseUrl}/responses/throws`), 500);
        assert.doesNotMatch(JSON.stringify(body), /secret-detail-123|\bat\s+\S+\s+\(/);
        const invocationId = /invocation id ([0-9a-f-]{36})/.exec(body.detail)?.[1];
        assert.ok(invocationId, body.detail);
        await host.waitForLog(`Executed 'Functions.throws' (Failed, Id=${invocationId}`);
        await host.waitForLog(new RegExp(`\\[Error\\] Functions\\.throws \\(Id=${invocationId}\\): Exception while executing function: .*secret-detail-123\\n\\s+at `));
    });

    test('local.settings.json Values reach the app before it loads, and the process environment wins', async () => {
        assert.deepEqual(await json(await fetch(`${host.baseUrl}/settings`)), {
            fromFile: 'from the file',
            overridden: 'from the process',
        });
        assert.match(host.logs(), /Loaded 1 settings from .*local\.settings\.json; the process environment wins for HOST_FIXTURE_OVERRIDDEN/);
    });

    test('every log line of an invocation names the function and the invocation id', async () => {
        const { invocationId } = await json<{ invocationId: string }>(await fetch(`${host.baseUrl}/logs`));
        await host.waitForLog(new RegExp(`Executed 'Functions\\.writeLogs' \\(Succeeded, Id=${invocationId}, Duration=\\d+ms\\)`));
        const logs = host.logs();
        assert.ok(logs.includes(`Executing 'Functions.writeLogs' (Reason='This function was programmatically called via the host APIs.', Id=${invocationId})`), logs);
        for (const [level, text] of [
            ['Information', 'fixture log line'],
            ['Trace', 'fixture trace line'],
            ['Debug', 'fixture debug line'],
            ['Information', 'fixture info line'],
            ['Warning', 'fixture warn line'],
            ['Error', 'fixture error line'],
        ]) {
            assert.ok(logs.includes(`[${level}] Functions.writeLogs (Id=${invocationId}): ${text}\n`), `${level}: ${text}\n${logs}`);
        }
    });

    test('pre- and post-invocation hooks run around the handler and share hookData', async () => {
        const response = await fetch(`${host.baseUrl}/hooked`);
        assert.equal(response.headers.get('x-hook-data'), 'preInvocation');
        assert.equal(await response.text(), 'from the handler');
    });
});

describe('local host: start-up failures', () => {
    test('a ConfigError while loading stops start-up with exit code 1 and one line without a stack', async () => {
        const error = await expectExit(startFixtureHost({ env: { HOST_FIXTURE_FAIL_AT_LOAD: 'config' } }));
        assert.equal(error.exitCode, 1);
        assert.match(error.output, /^Host start-up failed: .*lifecycle\.js.*Setting HOST_FIXTURE_FAIL_AT_LOAD: asks the fixture app to refuse to start\.\n$/);
        assert.doesNotMatch(error.output, /\n\s+at /);
    });

    test('any other error while loading stops start-up with exit code 1 and its stack', async () => {
        const error = await expectExit(startFixtureHost({ env: { HOST_FIXTURE_FAIL_AT_LOAD: 'bug' } }));
        assert.equal(error.exitCode, 1);
        assert.match(error.output, /TypeError: fixture bug while loading\n\s+at .*lifecycle\.js/);
    });

    test('a settings file that is not JSON stops start-up and is named', async () => {
        const dir = mkdtempSync(path.join(os.tmpdir(), 'host-settings-'));
        try {
            const settingsFile = path.join(dir, 'local.settings.json');
            writeFileSync(settingsFile, '{ "Values": { oops');
            const error = await expectExit(startFixtureHost({ settingsFile }));
            assert.equal(error.exitCode, 1);
            assert.ok(error.output.includes(`${settingsFile} is not valid JSON`), error.output);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    test('a port in use stops start-up with a clear message', async () => {
        const blocker = net.createServer().listen(0, '127.0.0.1');
        await once(blocker, 'listening');
        const { port } = blocker.address() as net.AddressInfo;
        try {
            const error = await expectExit(startFixtureHost({ port }));
            assert.equal(error.exitCode, 1);
            assert.ok(error.output.includes(`Port ${port} is unavailable`), error.output);
        } finally {
            blocker.close();
        }
    });
});

describe('local host: shutdown', () => {
    test('SIGTERM lets an in-flight request finish, runs appTerminate hooks and exits 0', async () => {
        const host = await startFixtureHost();
        try {
            const exited = once(host.process, 'exit');
            const pending = fetch(`${host.baseUrl}/slow?ms=700`);
            await host.waitForLog("Executing 'Functions.slow'");
            host.process.kill('SIGTERM');

            const response = await pending;
            assert.equal(response.status, 200);
            assert.equal(await response.text(), 'finished');
            const [code] = (await exited) as [number | null];
            assert.equal(code, 0);
            assert.match(host.logs(), /1 request\(s\) and run\(s\) in flight[\s\S]*appTerminate hook ran; hookData: left by appStart[\s\S]*Host stopped\./);
            await assert.rejects(fetch(`${host.baseUrl}/hello`), 'no longer accepting connections');
        } finally {
            await host.stop();
        }
    });
});
