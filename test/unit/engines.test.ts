// package.json's `engines` is the promise of which Node versions run the app: every version it admits must
// load every dependency, and jose (ESM only) is loaded with require(), which Node runs by default from 20.19
// and 22.12 on (require(esm)); 20.0-20.18 and 22.0-22.11 throw ERR_REQUIRE_ESM.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import semver from 'semver';
import { REPOSITORY_ROOT } from '../support/hostProcess';

interface PackageJson {
    type?: string;
    engines?: { node?: string };
    dependencies?: Record<string, string>;
}

function packageJson(folder: string): PackageJson {
    return JSON.parse(readFileSync(path.join(folder, 'package.json'), 'utf8')) as PackageJson;
}

const app = packageJson(REPOSITORY_ROOT);
const range = app.engines?.node ?? '';

describe('engines', () => {
    test('engines admits no Node version where require("jose") fails: none before 20.19, none of 22.0-22.11', () => {
        assert.equal(packageJson(path.join(REPOSITORY_ROOT, 'node_modules/jose')).type, 'module', 'jose is ESM only');

        for (const refused of ['18.20.4', '20.0.0', '20.18.3', '21.7.3', '22.0.0', '22.11.0']) {
            assert.ok(!semver.satisfies(refused, range), `${refused} cannot require() jose but "${range}" admits it`);
        }
        for (const admitted of ['20.19.0', '20.20.2', '22.12.0', '24.0.0']) {
            assert.ok(semver.satisfies(admitted, range), `${admitted} runs the app but "${range}" refuses it`);
        }
        assert.ok(semver.satisfies(process.version, range), `the tests run on ${process.version}, outside "${range}"`);
    });

    test('engines is within the engines of every runtime dependency', () => {
        for (const name of Object.keys(app.dependencies ?? {})) {
            const theirs = packageJson(path.join(REPOSITORY_ROOT, 'node_modules', name)).engines?.node;
            if (theirs !== undefined) assert.ok(semver.subset(range, theirs), `${name} needs Node ${theirs}; engines says ${range}`);
        }
    });
});
