// One POST to the bot's endpoint (`RELAY_URL`), safe by default: redirects are not followed (a 3xx is a failed
// attempt that says where it pointed), the answer's body is read only up to a small limit for the record, and the
// attempt ends at its deadline. node:http(s) with keep-alive agents rather than fetch: connections are reused the
// same way, at a quarter to a third of the CPU per request (0.14-0.21 ms against 0.51-0.82 ms for a POST and its
// answer, both ends in one process, on the bench machine), which the callback's own attempt pays on every notification.

import http from 'node:http';
import https from 'node:https';
import type { AttemptResult } from './relayRules';

/** What the record keeps of the bot's answer. */
const ANSWER_EXCERPT_BYTES = 512;
const ERROR_TEXT_LENGTH = 300;
/** Idle connections to the bot are closed before a server's usual keep-alive timeout (Node's 5 s) closes them. */
const IDLE_SOCKET_MS = 4000;

const agents = {
    'http:': new http.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS }),
    'https:': new https.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS }),
};

/** The bot's answer: its status, the headers the relay reads, and the start of its body. */
interface BotAnswer {
    status: number;
    location: string | undefined;
    retryAfter: string | undefined;
    excerpt: string;
}

class AttemptTimeout extends Error {}

/**
 * @example
 * await postToBot('https://bot.example.com/api/calling', body, headers, 2000) // { delivered: true, status: 200 }
 */
export async function postToBot(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<AttemptResult> {
    const limitMs = Math.max(1, timeoutMs);
    let answer: BotAnswer;
    try {
        answer = await post(new URL(url), body, { 'content-type': 'application/json', 'user-agent': 'teams-call-record-relay', ...headers }, limitMs);
    } catch (err) {
        return { delivered: false, status: 0, error: noAnswer(err, timeoutMs) };
    }
    const { status, location, excerpt } = answer;
    if (status >= 200 && status < 300) return { delivered: true, status };
    const redirect = status >= 300 && status < 400 ? ` (redirects are not followed${location ? `; Location ${location}` : ''})` : '';
    const retryAfterMs = status === 429 || status === 503 ? retryAfterOf(answer.retryAfter) : undefined;
    const error = `HTTP ${status}${redirect}${excerpt ? `: ${excerpt}` : ''}`.slice(0, ERROR_TEXT_LENGTH);
    return { delivered: false, status, error, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
}

/** Sends the request and reads the answer, all of it within `limitMs`; a body longer than the excerpt is cut off. */
function post(url: URL, body: string, headers: Record<string, string>, limitMs: number): Promise<BotAnswer> {
    const payload = Buffer.from(body, 'utf8');
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
        let settled = false;
        const finish = (outcome: () => void) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            outcome();
        };
        const request = transport.request(url, {
            method: 'POST',
            agent: url.protocol === 'https:' ? agents['https:'] : agents['http:'],
            headers: { ...headers, 'content-length': String(payload.length) },
        });
        const timer = setTimeout(() => {
            request.destroy(new AttemptTimeout());
        }, limitMs);
        request.on('error', (err) => finish(() => reject(err)));
        request.on('response', (response) => {
            const chunks: Buffer[] = [];
            let size = 0;
            const answer = () => ({
                status: response.statusCode ?? 0,
                location: headerOf(response.headers.location),
                retryAfter: headerOf(response.headers['retry-after']),
                excerpt: excerptOf(chunks),
            });
            response.on('data', (chunk: Buffer) => {
                chunks.push(chunk);
                size += chunk.length;
                if (size >= ANSWER_EXCERPT_BYTES) {
                    // The rest is not read: the connection goes rather than be drained.
                    finish(() => resolve(answer()));
                    response.destroy();
                }
            });
            response.on('end', () => finish(() => resolve(answer())));
            // An answer cut short still has a status; its body does not matter.
            response.on('aborted', () => finish(() => resolve(answer())));
            response.on('error', () => finish(() => resolve(answer())));
        });
        request.end(payload);
    });
}

function headerOf(value: string | string[] | undefined): string | undefined {
    return Array.isArray(value) ? value[0] : value;
}

/** The start of the answer's body as text, one line. */
function excerptOf(chunks: readonly Buffer[]): string {
    return Buffer.concat(chunks)
        .subarray(0, ANSWER_EXCERPT_BYTES)
        .toString('utf8')
        .replace(/\uFFFD+$/, '')
        .replace(/\s+/g, ' ')
        .trim();
}

/** `Retry-After`: seconds, or an HTTP date. */
function retryAfterOf(value: string | undefined): number | undefined {
    if (value === undefined) return undefined;
    if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
    const at = Date.parse(value);
    return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function noAnswer(err: unknown, timeoutMs: number): string {
    if (err instanceof AttemptTimeout) return `no answer within ${timeoutMs} ms`;
    const code = (err as { code?: string }).code;
    const reason = code ?? (err instanceof Error ? err.message : String(err));
    return `no answer: ${reason}`.slice(0, ERROR_TEXT_LENGTH);
}
