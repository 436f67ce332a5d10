// The operator console's built files (dist/console-assets, written by console/build.ts), read once per
// process and answered with their content type, caching, a Content-Security-Policy that allows only the
// app's own origin, and the best compressed copy the browser accepts.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import Negotiator from 'negotiator';
import { CallRecordError } from './errors';
import { problemOf } from './problem';

/** Where the build puts the console (dist/shared -> dist/console-assets). */
export const CONSOLE_ASSETS_DIR = path.resolve(__dirname, '../console-assets');
export const CONSOLE_MANIFEST = 'manifest.json';

/** What console/build.ts wrote: the page and the hashed asset names (each with a `.br` and a `.gz` copy). */
export interface ConsoleManifest {
    page: string;
    /** Replaced in the page by the assets' path, which depends on the route prefix the page was reached under. */
    assetsPlaceholder: string;
    assets: string[];
}

/** An answer with a binary body; structurally an `HttpResponseInit` of `@azure/functions`. */
export interface ConsoleAnswer {
    status: number;
    headers: Record<string, string>;
    body?: Uint8Array | string;
}

/** Scripts, styles, images, fonts and API requests from this origin only; no inline script, no frames, no forms elsewhere. */
export const CONSOLE_CONTENT_SECURITY_POLICY = [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "font-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
].join('; ');

const CONTENT_TYPES: Record<string, string> = {
    '.html': 'text/html; charset=utf-8',
    '.js': 'text/javascript; charset=utf-8',
    '.css': 'text/css; charset=utf-8',
    '.svg': 'image/svg+xml',
};

const SECURITY_HEADERS = {
    'X-Content-Type-Options': 'nosniff',
    // The page's address may still carry ?code= while the assets load: never send it on as a referrer.
    'Referrer-Policy': 'no-referrer',
};
const ENCODINGS = ['br', 'gzip', 'identity'] as const;
type Encoding = (typeof ENCODINGS)[number];
type Encoded = Record<Encoding, Buffer>;
/** The page differs only by the path it was reached under (`/api/console`, `/api/console/`, another case). */
const MAX_CACHED_PAGES = 8;

export class ConsoleAssets {
    readonly #pageTemplate: string;
    readonly #placeholder: string;
    readonly #assets = new Map<string, { contentType: string; encoded: Encoded }>();
    readonly #pages = new Map<string, Encoded>();

    private constructor(dir: string, manifest: ConsoleManifest) {
        this.#pageTemplate = readFileSync(path.join(dir, manifest.page), 'utf8');
        this.#placeholder = manifest.assetsPlaceholder;
        for (const name of manifest.assets) {
            const file = path.join(dir, name);
            this.#assets.set(name, {
                contentType: contentTypeOf(name),
                encoded: { identity: readFileSync(file), br: readFileSync(`${file}.br`), gzip: readFileSync(`${file}.gz`) },
            });
        }
    }

    /**
     * Reads the built console; a deployment without it is a defect that names what is missing.
     *
     * @example
     * const assets = ConsoleAssets.load();
     */
    static load(dir: string = CONSOLE_ASSETS_DIR): ConsoleAssets {
        let manifest: ConsoleManifest;
        try {
            manifest = JSON.parse(readFileSync(path.join(dir, CONSOLE_MANIFEST), 'utf8')) as ConsoleManifest;
            return new ConsoleAssets(dir, manifest);
        } catch (err) {
            throw new CallRecordError(
                500,
                'Console not built',
                `The operator console's files are missing from this deployment (${path.basename(dir)}/${CONSOLE_MANIFEST}). Build with npm run build and deploy dist/ with them.`,
                { cause: err },
            );
        }
    }

    /** Hashed asset names, for tests and benchmarks. */
    get assetNames(): string[] {
        return [...this.#assets.keys()];
    }

    /**
     * The page, naming its assets below the path it was requested under. Never cached by the browser, so a
     * new deployment's assets are picked up at the next load.
     *
     * @param pagePath the request's path, e.g. `/api/console`
     */
    page(pagePath: string, acceptEncoding: string | null): ConsoleAnswer {
        const base = `${pagePath.replace(/\/+$/, '')}/assets`;
        let encoded = this.#pages.get(base);
        if (encoded === undefined) {
            const identity = Buffer.from(this.#pageTemplate.replaceAll(this.#placeholder, escapeAttribute(base)), 'utf8');
            encoded = { identity, br: brotliCompressSync(identity, { params: { [constants.BROTLI_PARAM_QUALITY]: 9 } }), gzip: gzipSync(identity) };
            if (this.#pages.size >= MAX_CACHED_PAGES) this.#pages.clear();
            this.#pages.set(base, encoded);
        }
        return encodedAnswer(encoded, acceptEncoding, {
            'Content-Type': CONTENT_TYPES['.html'] ?? '',
            'Cache-Control': 'no-cache',
            'Content-Security-Policy': CONSOLE_CONTENT_SECURITY_POLICY,
        });
    }

    /** One asset by its hashed name, cacheable for a year; a 404 problem for any other name. */
    asset(name: string, acceptEncoding: string | null): ConsoleAnswer {
        const asset = this.#assets.get(name);
        if (asset === undefined) {
            const notFound = problemOf(404, 'Not found', `The console has no asset ${JSON.stringify(name.slice(0, 100))}; reload the console to get the current ones.`, {
                'Cache-Control': 'no-store',
            });
            return { status: notFound.status, headers: notFound.headers ?? {}, ...(notFound.body === undefined ? {} : { body: notFound.body }) };
        }
        return encodedAnswer(asset.encoded, acceptEncoding, {
            'Content-Type': asset.contentType,
            'Cache-Control': 'public, max-age=31536000, immutable',
            'Content-Security-Policy': "default-src 'none'",
        });
    }
}

let loaded: ConsoleAssets | undefined;

/** The console of this deployment, read on first use. */
export function consoleAssets(): ConsoleAssets {
    loaded ??= ConsoleAssets.load();
    return loaded;
}

function encodedAnswer(encoded: Encoded, acceptEncoding: string | null, headers: Record<string, string>): ConsoleAnswer {
    const encoding = preferredEncoding(acceptEncoding);
    return {
        status: 200,
        headers: {
            ...headers,
            ...SECURITY_HEADERS,
            Vary: 'Accept-Encoding',
            ...(encoding === 'identity' ? {} : { 'Content-Encoding': encoding }),
        },
        body: encoded[encoding],
    };
}

/** negotiator 1.x breaks ties by a preferred order; @types/negotiator (0.6) does not know that option yet. */
type TieBreakingNegotiator = { encodings(available: readonly string[], options: { preferred: readonly string[] }): string[] };

/**
 * The browser's preferred encoding among brotli, gzip and none by q-values, brotli first where it rates them
 * the same (browsers send `gzip, deflate, br`); none when it refuses them all.
 *
 * @example
 * preferredEncoding('gzip, deflate, br') // 'br'
 */
export function preferredEncoding(acceptEncoding: string | null): Encoding {
    const negotiator = new Negotiator({ headers: { 'accept-encoding': acceptEncoding ?? undefined } }) as unknown as TieBreakingNegotiator;
    const accepted = negotiator.encodings(ENCODINGS, { preferred: ENCODINGS });
    return accepted.find((encoding): encoding is Encoding => (ENCODINGS as readonly string[]).includes(encoding)) ?? 'identity';
}

function contentTypeOf(name: string): string {
    const type = CONTENT_TYPES[path.extname(name)];
    if (type === undefined) throw new Error(`The console has an asset of unknown type: ${name}`);
    return type;
}

function escapeAttribute(text: string): string {
    return text.replace(/[&"'<>]/g, (char) => `&#${char.charCodeAt(0)};`);
}
