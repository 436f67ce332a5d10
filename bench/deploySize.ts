// Measurement 5b, the deployable output: the zip `npm run package` writes and `azd deploy` uploads (azure.yaml
// `dist`), made by the same code into a temporary folder, so the row reports exactly what Azure receives.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUNDLE_NAME, createPackage } from '../dev/package';

export interface DeploySize {
    /** The zip as uploaded. */
    zipBytes: number;
    /** Its files, uncompressed. */
    unpackedBytes: number;
    files: number;
    /** The bundle alone (functions, shared code and production packages in one file), uncompressed. */
    bundleBytes: number;
    /** Production packages inside the bundle. */
    packages: number;
}

export async function measureDeploySize(root: string): Promise<DeploySize> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'call-record-deploy-size-'));
    try {
        const result = await createPackage(root, path.join(dir, 'app.zip'));
        const sizes = Object.values(result.entries);
        return {
            zipBytes: result.zipBytes,
            unpackedBytes: sizes.reduce((total, bytes) => total + bytes, 0),
            files: sizes.length,
            bundleBytes: result.entries[BUNDLE_NAME] ?? 0,
            packages: result.bundledPackages.length,
        };
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}
