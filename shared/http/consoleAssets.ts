// The operator console's built files (written by console/build.ts into dist/console-assets/console.json),
// read once per process and answered with their content type, caching, a Content-Security-Policy that
// allows only the app's own origin, and the best compressed copy the browser accepts.

import path from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import Negotiator from 'negotiator';
import { CallRecordError } from '../errors';
import { problemOf } from '../problem';

/** What console/build.ts writes: the page, and each hashed asset as it is and compressed (base64). */
export interface ConsoleBundle {
    page: string;
    /** Replaced in the page by the assets' path, which depends on the route prefix the page was reached under. */
    assetsPlaceholder: string;
    assets: Record<string, { identity: string; br: string; gzip: string }>;
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

    private constructor(bundle: ConsoleBundle) {
        this.#pageTemplate = bundle.page;
        this.#placeholder = bundle.assetsPlaceholder;
        for (const [name, copies] of Object.entries(bundle.assets)) {
            this.#assets.set(name, {
                contentType: contentTypeOf(name),
                encoded: { identity: Buffer.from(copies.identity, 'base64'), br: Buffer.from(copies.br, 'base64'), gzip: Buffer.from(copies.gzip, 'base64') },
            });
        }
    }

    /**
     * The built console; a deployment without it is a defect that names what is missing.
     *
     * @example
     * const assets = ConsoleAssets.load();
     */
    static load(bundle: () => ConsoleBundle = readBuiltBundle): ConsoleAssets {
        try {
            return new ConsoleAssets(bundle());
        } catch (err) {
            throw new CallRecordError(
                500,
                'Console not built',
                "The operator console's files are missing from this deployment (console-assets/console.json). Build with npm run build, then deploy or package.",
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

/**
 * A literal require, relative to the compiled file (dist/shared/http -> dist/console-assets), so that the esbuild
 * bundle of `npm run package` carries the console inside the app and the local host reads it from dist/.
 */
function readBuiltBundle(): ConsoleBundle {
    return require('../../console-assets/console.json') as ConsoleBundle;
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
