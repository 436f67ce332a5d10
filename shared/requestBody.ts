// Reads a request body once, refusing more than a limit before buffering it, and decodes JSON bodies.

import { BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from './errors';

export const CALLBACK_BODY_LIMIT = 1024 * 1024;

/**
 * The body's bytes, or a 413 as soon as it is known to be larger than `limit`.
 *
 * @example
 * const bytes = await readBody(request.body, request.headers.get('content-length'), CALLBACK_BODY_LIMIT);
 */
export async function readBody(body: AsyncIterable<Uint8Array> | null, contentLength: string | null, limit: number): Promise<Buffer> {
    const tooLarge = () => new PayloadTooLargeError(`The body is larger than ${limit} bytes.`);
    if (contentLength !== null && Number(contentLength) > limit) {
        throw tooLarge();
    }
    if (body === null) {
        return Buffer.alloc(0);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
        size += chunk.byteLength;
        if (size > limit) {
            throw tooLarge();
        }
        chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    }
    return Buffer.concat(chunks, size);
}

/** Graph sends `application/json`; a missing type is tolerated, any other type is refused. */
export function requireJsonContentType(contentType: string | null): void {
    if (contentType === null || contentType.trim() === '') {
        return;
    }
    const mediaType = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
    if (mediaType !== 'application/json' && !mediaType.endsWith('+json')) {
        throw new UnsupportedMediaTypeError(`Expected application/json, got ${JSON.stringify(contentType.slice(0, 100))}.`);
    }
}

export function parseJson(bytes: Buffer): unknown {
    let text: string;
    try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
        throw new BadRequestError('The body is not valid UTF-8.');
    }
    try {
        return JSON.parse(text) as unknown;
    } catch (err) {
        throw new BadRequestError(`The body is not valid JSON (${(err as Error).message}).`);
    }
}
