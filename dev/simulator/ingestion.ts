// Application Insights' ingestion endpoint (`POST {IngestionEndpoint}/v2.1/track`), as the Azure Monitor exporter
// calls it: a JSON array of telemetry envelopes, answered `{itemsReceived, itemsAccepted, errors}`. Like a
// component with local auth off (the template's), it takes only requests signed in with an Entra token for Azure
// Monitor. What it takes is kept, in order, for the control API (`GET /_control/telemetry`) and tests.

import { gunzipSync } from 'node:zlib';
import { decodeJwt } from 'jose';
import type { SimulatorContext } from './context';
import { header, sendJson, type Exchange } from './http';
import type { TelemetryEnvelope } from './state';

/** The path the exporter posts to below the connection string's IngestionEndpoint. */
const TRACK_PATH = '/v2.1/track';
/** The audience of an Azure Monitor ingestion token (scope `https://monitor.azure.com//.default`). */
const MONITOR_AUDIENCE = /^https:\/\/monitor\.azure\.com\/?$/;
/** Envelopes kept at most; the oldest go first. */
const KEPT_ENVELOPES = 100_000;
/** Larger than one exporter batch (512 spans of a few KiB), smaller than anything that could hurt. */
const BODY_LIMIT_BYTES = 16 * 1024 * 1024;

/** Answers POST /v2.1/track; false for other paths. */
export async function handleIngestion(ctx: SimulatorContext, ex: Exchange): Promise<boolean> {
    if (ex.url.pathname !== TRACK_PATH || ex.method !== 'POST') return false;
    const refusal = tokenProblem(header(ex.req, 'authorization'));
    const body = await readTrackBody(ex);
    const envelopes = Array.isArray(body) ? (body as TelemetryEnvelope[]) : [];
    if (refusal !== undefined) {
        // What ingestion answers a component with local auth off: every item refused, nothing kept.
        ctx.state.ingestionRefusals++;
        sendJson(ex.res, 401, { itemsReceived: envelopes.length, itemsAccepted: 0, errors: envelopes.map((_, index) => ({ index, statusCode: 401, message: refusal })) });
        return true;
    }
    if (!Array.isArray(body)) {
        sendJson(ex.res, 400, { itemsReceived: 0, itemsAccepted: 0, errors: [{ index: 0, statusCode: 400, message: 'The body must be a JSON array of telemetry items.' }] });
        return true;
    }
    ctx.state.telemetry.push(...envelopes);
    ctx.state.telemetry.splice(0, Math.max(0, ctx.state.telemetry.length - KEPT_ENVELOPES));
    sendJson(ex.res, 200, { itemsReceived: envelopes.length, itemsAccepted: envelopes.length, errors: [] });
    return true;
}

/** Why the request's token is not one ingestion takes; undefined when it is. */
function tokenProblem(authorization: string | undefined): string | undefined {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    if (token === undefined) return 'Authentication is required: the component takes Microsoft Entra tokens only (local auth is disabled).';
    try {
        const { aud } = decodeJwt(token);
        return typeof aud === 'string' && MONITOR_AUDIENCE.test(aud) ? undefined : `The token's audience ${JSON.stringify(aud)} is not Azure Monitor (https://monitor.azure.com).`;
    } catch {
        return 'The bearer token is not a JWT.';
    }
}

async function readTrackBody(ex: Exchange): Promise<unknown> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of ex.req as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > BODY_LIMIT_BYTES) throw new Error(`The telemetry batch is larger than ${BODY_LIMIT_BYTES} bytes.`);
        chunks.push(chunk);
    }
    const raw = Buffer.concat(chunks);
    const text = (header(ex.req, 'content-encoding') === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
    try {
        return JSON.parse(text) as unknown;
    } catch {
        return undefined;
    }
}
