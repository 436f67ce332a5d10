// A node:test reporter that npm test adds beside `spec`: when the run ends it prints every test file that ran,
// slowest first, with its time, its tests and its failures, so a slow or flaky file can be named.

import path from 'node:path';

interface TestEventData {
    name: string;
    nesting: number;
    file?: string;
    details: { duration_ms: number; type?: 'suite' | 'test' };
}

interface TestEvent {
    type: string;
    data: TestEventData;
}

interface FileTally {
    ms: number;
    tests: number;
    failed: number;
}

const REPOSITORY_ROOT = path.resolve(__dirname, '../..');

async function* fileTimes(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
    const files = new Map<string, FileTally>();
    for await (const event of source) {
        if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
        const { file, nesting, details } = event.data;
        if (file === undefined) continue;
        const tally = files.get(file) ?? { ms: 0, tests: 0, failed: 0 };
        files.set(file, tally);
        // The top level of a file adds up to its time; its tests, at any depth, to its count.
        if (nesting === 0) tally.ms += details.duration_ms;
        if (details.type !== 'suite') {
            tally.tests += 1;
            if (event.type === 'test:fail') tally.failed += 1;
        }
    }
    const rows = [...files].sort(([, a], [, b]) => b.ms - a.ms);
    yield `\nTest files (${rows.length}), slowest first:\n`;
    for (const [file, tally] of rows) {
        const source = path
            .relative(REPOSITORY_ROOT, file)
            .replace(/^dist\//, '')
            .replace(/\.js$/, '.ts');
        const outcome = tally.failed > 0 ? `FAILED ${tally.failed} of ${tally.tests}` : `${tally.tests} passed`;
        yield `${(tally.ms / 1000).toFixed(1).padStart(7)} s  ${source}  (${outcome})\n`;
    }
}

// node:test loads a reporter as a module whose default export is the reporter: CommonJS's module.exports.
export = fileTimes;
