// Child process of the template test: `node loadFunctionApp.js <app folder>` loads a function app the way the
// Functions worker does (package.json `main`, `@azure/functions-core` provided) with the environment the
// parent gives it, the template's app settings, and prints what the app registered as one JSON line. A
// setting the app refuses at start-up makes it exit non-zero with the app's own message.

import { createCoreApi, FunctionAppRegistry, provideCoreModule } from '../../dev/host/coreApi';
import { findEntryPoints, loadEntryPoints } from '../../dev/host/entryPoints';

export interface LoadedFunction {
    name: string;
    bindings: Array<{ name: string; type?: string | null; direction?: string | null; [option: string]: unknown }>;
}

function main(appDir: string): void {
    const registry = new FunctionAppRegistry();
    provideCoreModule(createCoreApi(registry, () => undefined, 'template-test'));
    loadEntryPoints(findEntryPoints(appDir), registry, appDir);
    const functions: LoadedFunction[] = [...registry.functions.values()].map(({ metadata }) => ({
        name: metadata.name,
        bindings: Object.entries(metadata.bindings).map(([name, binding]) => ({ ...binding, name })),
    }));
    process.stdout.write(`${JSON.stringify(functions)}\n`);
}

try {
    main(process.argv[2] ?? '.');
} catch (err) {
    const cause = (err as { cause?: unknown }).cause;
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}${cause instanceof Error ? `: ${cause.message}` : ''}\n`);
    process.exit(1);
}
