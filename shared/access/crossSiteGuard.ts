// With API_AUTH=entra a browser carries the session cookie on every request to the app, also on one that a page
// of another site makes it send. An HTML form can only send GET and POST with a form or text content type and no
// custom header; a script on another site can send more only after a CORS preflight, which this app never
// answers. So a state-changing request must carry a JSON content type or the X-Requested-With header.

import { ForbiddenError } from '../errors';
import type { HeaderReader } from './clientPrincipal';

/** The header a script sends on a state-changing request that has no JSON body (the console's DELETE does both). */
export const SCRIPTED_REQUEST_HEADER = 'X-Requested-With';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** GET, HEAD and OPTIONS change nothing; every other method may. */
export function isStateChanging(method: string): boolean {
    return !SAFE_METHODS.has(method.toUpperCase());
}

/**
 * Throws a 403 unless the request could not have come from another site's form.
 *
 * @example
 * requireScriptedRequest(request.headers); // DELETE with Content-Type: application/json, or with X-Requested-With: XMLHttpRequest
 */
export function requireScriptedRequest(headers: HeaderReader): void {
    const mediaType = (headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    const json = mediaType === 'application/json' || /^application\/[^\s/]+\+json$/.test(mediaType);
    if (json || (headers.get(SCRIPTED_REQUEST_HEADER) ?? '').trim() !== '') return;
    throw new ForbiddenError(
        `Refused a state-changing request that a form on another site could have sent: send it with Content-Type: application/json, or with an ${SCRIPTED_REQUEST_HEADER} header (any value). ` +
            'Signed-in browsers carry their session cookie to this app whoever asks them to, so the app insists on what only a script of its own origin can send.',
    );
}
