// One POST to the bot's endpoint (`RELAY_URL`), safe by default: redirects are not followed (a 3xx is a failed
// attempt that says where it pointed), the answer's body is read only up to a small limit for the record, and the
// attempt ends at its deadline. Connections are kept alive between requests (Node's fetch pools them).

import type { AttemptResult } from './relayRules';

/** What the record keeps of the bot's answer. */
const ANSWER_EXCERPT_BYTES = 512;
const ERROR_TEXT_LENGTH = 300;

/**
 * @example
 * await postToBot('https://bot.example.com/api/calling', body, headers, 2000) // { delivered: true, status: 200 }
 */
export async function postToBot(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<AttemptResult> {
    const started = Date.now();
    let response: Response;
    try {
        response = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'user-agent': 'teams-call-record-relay', ...headers },
            body,
            redirect: 'manual',
            signal: AbortSignal.timeout(Math.max(1, timeoutMs)),
        });
    } catch (err) {
        return { delivered: false, status: 0, error: noAnswer(err, timeoutMs, Date.now() - started) };
    }
    const excerpt = await readExcerpt(response);
    if (response.status >= 200 && response.status < 300) return { delivered: true, status: response.status };
    const location = response.headers.get('location');
    const redirect = response.status >= 300 && response.status < 400 ? ` (redirects are not followed${location ? `; Location ${location}` : ''})` : '';
    const retryAfterMs = response.status === 429 || response.status === 503 ? retryAfterOf(response.headers.get('retry-after')) : undefined;
    const error = `HTTP ${response.status}${redirect}${excerpt ? `: ${excerpt}` : ''}`.slice(0, ERROR_TEXT_LENGTH);
    return { delivered: false, status: response.status, error, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
}

/** The start of the answer's body as text, one line; the rest is not read. */
async function readExcerpt(response: Response): Promise<string> {
    const reader = response.body?.getReader();
    if (reader === undefined) return '';
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
        while (size < ANSWER_EXCERPT_BYTES) {
            const { done, value } = await reader.read();
            if (done) break;
            chunks.push(value);
            size += value.length;
        }
    } catch {
        // An answer cut short still has a status; its body does not matter.
    } finally {
        await reader.cancel().catch(() => undefined);
    }
    return Buffer.concat(chunks)
        .subarray(0, ANSWER_EXCERPT_BYTES)
        .toString('utf8')
        .replace(/\uFFFD+$/, '')
        .replace(/\s+/g, ' ')
        .trim();
}

/** `Retry-After`: seconds, or an HTTP date. */
function retryAfterOf(value: string | null): number | undefined {
    if (value === null) return undefined;
    if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
    const at = Date.parse(value);
    return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function noAnswer(err: unknown, timeoutMs: number, elapsedMs: number): string {
    const name = (err as { name?: string }).name;
    if (name === 'TimeoutError' || (name === 'AbortError' && elapsedMs >= timeoutMs)) return `no answer within ${timeoutMs} ms`;
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
    return `no answer: ${reason}`.slice(0, ERROR_TEXT_LENGTH);
}
