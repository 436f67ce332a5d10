// Call-ended events (SPEC "Call lifecycle"): when a call ends, a CloudEvents 1.0 message goes onto a
// Storage queue, so billing, analytics or the bot itself hear of it instead of polling. Delivery is at
// least once: the message is queued before the write that ended the call is acknowledged, and queued
// again whenever a redelivery shows the earlier attempt may not have got that far; its `id` is the same
// every time, so consumers drop repeats by `id`.

import type { QueueClient } from '@azure/storage-queue';
import { callSummaryJson, type CallSummaryJson } from '../query/callJson';
import type { CallSummary } from '../record/callModel';
import { isObject } from '../isObject';
import { StorageUnavailableError } from '../record/storageErrors';
import { LazyQueue } from '../settings/queueClient';
import { METRICS } from '../telemetry/catalogue';
import { record } from '../telemetry/telemetry';

const CALL_ENDED_TYPE = 'teams-call-record.call.ended';
/** Graph's call record of an ended call was fetched (callRecords/): one message per version. */
export const RECORD_AVAILABLE_TYPE = 'teams-call-record.call.recordAvailable';

/** The message's JSON, before the base64 a Functions queue trigger expects by default. */
export interface CallEndedCloudEvent {
    specversion: '1.0';
    /** `{callId}/ended` (`{callId}/record/{version}`): the same for every copy of this call's message. */
    id: string;
    type: typeof CALL_ENDED_TYPE | typeof RECORD_AVAILABLE_TYPE;
    source: '/api/calls';
    subject: string;
    time: string;
    datacontenttype: 'application/json';
    /** The call summary as `GET /api/calls/{id}` answers it. */
    data: CallSummaryJson;
}

/**
 * @example
 * callEndedEvent(summary, new Date()) // { specversion: '1.0', id: 'c1/ended', type: 'teams-call-record.call.ended', ... }
 */
export function callEndedEvent(summary: CallSummary, time: Date): CallEndedCloudEvent {
    return callCloudEvent(CALL_ENDED_TYPE, `${summary.callId}/ended`, summary, time);
}

/**
 * @example
 * recordAvailableEvent(summary, new Date()) // { id: 'c1/record/2', type: 'teams-call-record.call.recordAvailable', data: { quality: 'poor', ... } }
 */
function recordAvailableEvent(summary: CallSummary, time: Date): CallEndedCloudEvent {
    return callCloudEvent(RECORD_AVAILABLE_TYPE, `${summary.callId}/record/${summary.callRecordVersion ?? 0}`, summary, time);
}

function callCloudEvent(type: CallEndedCloudEvent['type'], id: string, summary: CallSummary, time: Date): CallEndedCloudEvent {
    const event: CallEndedCloudEvent = {
        specversion: '1.0',
        id,
        type,
        source: '/api/calls',
        subject: summary.callId,
        time: time.toISOString(),
        datacontenttype: 'application/json',
        data: callSummaryJson(summary),
    };
    return fitToQueue(event);
}

/** A queue message holds 64 KiB; a message over it would be refused on every redelivery, for ever. */
export const MAX_QUEUE_MESSAGE_BYTES = 64 * 1024;

/** Base64 of the JSON, as `QueueClient.sendMessage` takes it and a queue trigger decodes it. */
export function encodeQueueMessage(event: CallEndedCloudEvent): string {
    return Buffer.from(JSON.stringify(event), 'utf8').toString('base64');
}

/**
 * The event within a queue message's size: while it is over, the longest text of the summary (in practice
 * Graph's resultInfo.message, stored up to 30,000 characters) is halved and named in `truncatedFields`,
 * as the record itself names the values it had to cut.
 */
function fitToQueue(event: CallEndedCloudEvent): CallEndedCloudEvent {
    const encodedBytes = (value: CallEndedCloudEvent) => Math.ceil(Buffer.byteLength(JSON.stringify(value), 'utf8') / 3) * 4;
    let fitted = event;
    while (encodedBytes(fitted) > MAX_QUEUE_MESSAGE_BYTES) {
        const data = fitted.data as unknown as Record<string, unknown>;
        const [name, text] = Object.entries(data)
            .filter((entry): entry is [string, string] => entry[0] !== 'callId' && typeof entry[1] === 'string')
            .reduce((longest, entry) => (entry[1].length > longest[1].length ? entry : longest), ['', '']);
        if (text.length < 2) break;
        const end = Math.floor(text.length / 2);
        const cut = text.slice(0, /[\ud800-\udbff]/.test(text.charAt(end - 1)) ? end - 1 : end);
        const truncatedFields = [...new Set([...(fitted.data.truncatedFields ?? []), name])];
        fitted = { ...fitted, data: { ...fitted.data, [name]: cut, truncatedFields } };
    }
    return fitted;
}

/**
 * The other way, as a consumer reads a message: base64, then JSON, then the fields a consumer relies on. A
 * message that is not one (another sender's, or not base64) is a normal outcome for a reader of a queue,
 * so it comes back as data, with the reason.
 *
 * @example
 * decodeQueueMessage(encodeQueueMessage(event)) // { event: { id: 'c1/ended', ... } }
 * decodeQueueMessage('hello') // { problem: 'it is not base64' }
 */
export function decodeQueueMessage(text: string): { event: CallEndedCloudEvent } | { problem: string } {
    // Node's base64 decoder skips what is not base64 without a word, so the text is checked first.
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return { problem: 'it is not base64' };
    let event: unknown;
    try {
        event = JSON.parse(Buffer.from(text, 'base64').toString('utf8'));
    } catch {
        return { problem: 'its base64 does not hold JSON' };
    }
    const known = isObject(event) && (event.type === CALL_ENDED_TYPE || event.type === RECORD_AVAILABLE_TYPE);
    if (!isObject(event) || !known || typeof event.id !== 'string' || typeof event.subject !== 'string' || !isObject(event.data)) {
        return { problem: `it is not a CloudEvent of type ${CALL_ENDED_TYPE} or ${RECORD_AVAILABLE_TYPE} with an id, a subject and data` };
    }
    return { event: event as unknown as CallEndedCloudEvent };
}

/** The queue of call-ended events, made on first use and created once per process (again after a failure). */
export class CallEventsQueue {
    readonly #queue: LazyQueue;
    readonly #now: () => Date;

    /** @param connect builds the client when the first call ends */
    constructor(connect: () => QueueClient, options: { now?: () => Date } = {}) {
        this.#queue = new LazyQueue(connect);
        this.#now = options.now ?? (() => new Date());
    }

    /** Queues the call's message; a failure is a 503, so the sender retries and it is queued again. */
    publishCallEnded(summary: CallSummary): Promise<void> {
        return this.#publish(callEndedEvent(summary, this.#now()));
    }

    /** Queues the message that the call's record (this version of it) is there. */
    publishRecordAvailable(summary: CallSummary): Promise<void> {
        return this.#publish(recordAvailableEvent(summary, this.#now()));
    }

    async #publish(event: CallEndedCloudEvent): Promise<void> {
        const type = event.type === RECORD_AVAILABLE_TYPE ? 'record_available' : 'call_ended';
        try {
            await this.#queue.send(encodeQueueMessage(event));
            record(METRICS.callEventMessages, { type, result: 'queued' });
        } catch (err) {
            record(METRICS.callEventMessages, { type, result: 'failed' });
            throw new StorageUnavailableError(err, 'The call-ended event queue', 'call_events_queue');
        }
    }
}
