// Whole call records in Blob Storage, `<container>/<callId>/<version>.json`: a big meeting's record is megabytes, far
// more than a table row holds. A higher version replaces a lower one: once the summary points at the new blob, the
// older ones of the call are deleted; retention deletes them all with the call.

import type { ContainerClient } from '@azure/storage-blob';
import { StorageUnavailableError } from '../record/storageErrors';

export class CallRecordBlobs {
    readonly #connect: () => ContainerClient;
    #container: ContainerClient | undefined;
    #ready: Promise<unknown> | undefined;

    /** @param connect builds the client when the first record is stored */
    constructor(connect: () => ContainerClient) {
        this.#connect = connect;
    }

    /** `<container>/<callId>/<version>.json`: what the summary's `callRecordBlob` says. */
    pathOf(callId: string, version: number): string {
        return `${this.#client().containerName}/${blobName(callId, version)}`;
    }

    /**
     * Stores one version of a call's record (again, when it is there already: the same version is the same record).
     *
     * @example
     * await blobs.put('c1', 2, JSON.stringify(record)); // 'call-records/c1/2.json'
     */
    async put(callId: string, version: number, json: string): Promise<string> {
        try {
            const container = await this.#readyContainer();
            await container.getBlockBlobClient(blobName(callId, version)).upload(json, Buffer.byteLength(json), {
                blobHTTPHeaders: { blobContentType: 'application/json; charset=utf-8' },
            });
            return this.pathOf(callId, version);
        } catch (err) {
            throw new StorageUnavailableError(err, 'The call record blob container');
        }
    }

    /** The JSON of one version, or undefined when there is none. */
    async get(callId: string, version: number): Promise<string | undefined> {
        try {
            const blob = this.#client().getBlockBlobClient(blobName(callId, version));
            if (!(await blob.exists())) return undefined;
            return (await blob.downloadToBuffer()).toString('utf8');
        } catch (err) {
            throw new StorageUnavailableError(err, 'The call record blob container');
        }
    }

    /** Deletes the call's versions other than `keep` (every one when `keep` is undefined); how many went. */
    async deleteOthers(callId: string, keep?: number): Promise<number> {
        try {
            const container = this.#client();
            if (!(await container.exists())) return 0;
            let deleted = 0;
            for await (const blob of container.listBlobsFlat({ prefix: `${callId}/` })) {
                if (keep !== undefined && blob.name === blobName(callId, keep)) continue;
                await container.deleteBlob(blob.name, { deleteSnapshots: 'include' }).catch((err: unknown) => {
                    // Another instance deleted it first: it is gone either way.
                    if ((err as { statusCode?: number }).statusCode !== 404) throw err;
                });
                deleted += 1;
            }
            return deleted;
        } catch (err) {
            throw new StorageUnavailableError(err, 'The call record blob container');
        }
    }

    #client(): ContainerClient {
        this.#container ??= this.#connect();
        return this.#container;
    }

    async #readyContainer(): Promise<ContainerClient> {
        const container = this.#client();
        this.#ready ??= container.createIfNotExists().catch((err: unknown) => {
            this.#ready = undefined;
            throw err;
        });
        await this.#ready;
        return container;
    }
}

function blobName(callId: string, version: number): string {
    return `${callId}/${version}.json`;
}
