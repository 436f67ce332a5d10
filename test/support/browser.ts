// Debian's Chromium driven by playwright-core, for the console's browser tests and benchmark. Playwright's
// own browser download cannot work offline, so the system's Chromium is used; without it the tests fail at
// once with the command that installs it, instead of hanging.

import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Page, type Request, type Response } from 'playwright-core';

/** Where Debian puts Chromium; CHROMIUM_PATH points elsewhere (another distribution, a developer's Mac). */
const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const LAUNCH_TIMEOUT_MS = 30_000;
/** Headless, and nothing that talks to Google's services or updates itself (the tests check that no request leaves the app). */
const CHROMIUM_ARGS = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-quic',
];

/**
 * Starts Chromium with a fresh profile (Playwright makes a new user-data-dir for every launch).
 *
 * @example
 * const browser = await launchChromium();
 * try { const page = await browser.newPage(); } finally { await browser.close(); }
 */
export async function launchChromium(executablePath: string = CHROMIUM_PATH): Promise<Browser> {
    if (!existsSync(executablePath)) {
        throw new Error(
            `Chromium is not installed at ${executablePath}, so the console's browser tests cannot run. ` +
                'Install it with `apt-get update && apt-get install -y chromium` (as root), or set CHROMIUM_PATH to a Chromium or Chrome binary.',
        );
    }
    return chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true, timeout: LAUNCH_TIMEOUT_MS });
}

export interface ObservedPage {
    page: Page;
    context: BrowserContext;
    /** Console messages of type error, and uncaught exceptions, in order. */
    errors: string[];
    /** Every request the page made. */
    requests: Array<{ method: string; url: string; headers: Record<string, string> }>;
    /** Every answer the page got, with its body (for checks against the OpenAPI document). */
    answers: Array<{ method: string; url: string; status: number; headers: Record<string, string>; body: string }>;
    /** Resolves once every answer seen so far has been read. */
    settled(): Promise<void>;
    close(): Promise<void>;
}

/** A new context (its own storage, so no function key carries over) and page, with everything it does recorded. */
export async function observedPage(browser: Browser, viewport = { width: 1280, height: 860 }): Promise<ObservedPage> {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    const errors: string[] = [];
    const requests: ObservedPage['requests'] = [];
    const answers: ObservedPage['answers'] = [];
    const reading: Array<Promise<void>> = [];
    page.on('console', (message: ConsoleMessage) => {
        if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error: Error) => errors.push(`uncaught: ${error.message}`));
    context.on('request', (request: Request) => requests.push({ method: request.method(), url: request.url(), headers: request.headers() }));
    let closed = false;
    page.on('response', (response: Response) => {
        const request = response.request();
        reading.push(
            (async () => {
                // A redirect's body is not kept by the browser (and the app's redirects have none).
                const bodiless = request.method() === 'HEAD' || response.status() === 204 || (response.status() >= 300 && response.status() < 400);
                const body = bodiless ? '' : await response.text();
                answers.push({ method: request.method(), url: response.url(), status: response.status(), headers: await response.allHeaders(), body });
            })().catch((err: unknown) => {
                // An answer still arriving while the context closes (a refresh in flight) cannot be read any more.
                if (!closed) errors.push(`could not read the answer to ${request.method()} ${response.url()}: ${String(err)}`);
            }),
        );
    });
    return {
        page,
        context,
        errors,
        requests,
        answers,
        settled: async () => {
            await Promise.all(reading);
        },
        close: async () => {
            closed = true;
            await context.close();
        },
    };
}
