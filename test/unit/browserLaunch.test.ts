// Without Chromium the browser tests must fail at once, saying how to install it, not hang.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { launchChromium } from '../support/browser';

describe('browser tests without Chromium', () => {
    test('launching a Chromium that is not there fails at once with the command that installs it', async () => {
        // act
        const launching = launchChromium('/nonexistent/chromium');

        // assess: rejected before any process was started (Playwright's own launch would wait for its timeout)
        await assert.rejects(launching, /Chromium is not installed at \/nonexistent\/chromium.*apt-get update && apt-get install -y chromium/);
    });
});
