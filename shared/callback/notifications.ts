// Parses the body Graph POSTs to the calling webhook into history events, one per notification.
// Accepts the v1.0 `commsNotifications` shape and the older beta shape; pure, no I/O.

import { isValidCallId } from '../callId';
import { EVENT_KIND, isCallChainId, resourceKindOf, UNROUTED_PARTITION, type NewCallEvent } from '../record/callModel';
import { normalizeCallState } from '../record/callState';
import { dedupeKeyOf } from './dedupeKey';
import { defined } from '../defined';
import { BadRequestError } from '../errors';
import { isObject } from '../isObject';
import { notificationColumn } from '../relay/relayBody';

/** What the HTTP request says about the delivery, beside its body. */
export interface DeliveryContext {
    receivedAt: Date;
    /** `tid` of the callback token, when it was verified. */
    tenantId?: string;
    chainId?: string;
    messageId?: string;
    scenarioId?: string;
}

/** One notification, attributed to the partition it is stored in. */
export interface RoutedEvent {
    /** The call id, or `_unrouted` for a notification no call can be found for. */
    partition: string;
    event: NewCallEvent;
}

// `/communications/calls/{id}` (v1.0), `/app/calls/{id}` (beta), `/applications/{appId}/calls/{id}`,
// optionally absolute and with a version segment, then an optional sub-resource path. The leading slash
// may be missing: Graph's own examples send `communications/calls/{id}/operations/{id}` for hold music.
const CALLS_RESOURCE = /^(?:https?:\/\/[^/]+\/|\/)?(?:(?:v1\.0|beta)\/)?(?:communications|app|applications\/[^/]+)\/calls\/([^/?#]*)(?:\/([^?#]*))?/i;

/**
 * Turns a parsed callback body into events, in the order Graph sent them.
 * Throws a 400 when the body is not a notification collection at all.
 *
 * @example
 * parseNotifications(JSON.parse(body), { receivedAt: new Date(), tenantId })
 */
export function parseNotifications(body: unknown, delivery: DeliveryContext): RoutedEvent[] {
    if (!isObject(body)) {
        throw new BadRequestError('The body must be a JSON object with a "value" array of notifications.');
    }
    if (!('value' in body)) {
        throw new BadRequestError('The body has no "value" array of notifications.');
    }
    if (!Array.isArray(body.value)) {
        throw new BadRequestError('"value" must be an array of notifications.');
    }
    if (deeperThan(body, MAX_DEPTH)) {
        // Canonical JSON (the dedupe key) and storing resourceData walk the value recursively: thousands of
        // levels would overflow the stack and fail the same way on every redelivery. Graph's bodies are a
        // handful of levels deep.
        throw new BadRequestError(`The body is nested more than ${MAX_DEPTH} levels deep; call notifications are not.`);
    }
    return body.value.map((notification: unknown) => parseNotification(notification, delivery));
}

/** Far deeper than any notification Graph sends, far shallower than what overflows a recursive walk. */
const MAX_DEPTH = 100;

/** Whether arrays and objects nest more than `limit` levels anywhere in `value`; iterative, so any depth is safe. */
function deeperThan(value: unknown, limit: number): boolean {
    const pending: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
    for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
        if (typeof item.value !== 'object' || item.value === null) continue;
        if (item.depth >= limit) return true;
        for (const child of Object.values(item.value)) pending.push({ value: child, depth: item.depth + 1 });
    }
    return false;
}

/** One notification: routed to its call, or kept as `rejected` in `_unrouted` with the reason. */
export function parseNotification(notification: unknown, delivery: DeliveryContext): RoutedEvent {
    const common = {
        receivedAt: delivery.receivedAt,
        dedupeKey: dedupeKeyOf(notification),
        ...defined({
            tenantId: delivery.tenantId,
            messageId: delivery.messageId,
            scenarioId: delivery.scenarioId,
        }),
    };
    if (!isObject(notification)) {
        return rejected(notification, 'The notification is not a JSON object.', common, delivery);
    }
    const resource = stringOf(notification.resourceUrl) ?? stringOf(notification.resource);
    if (resource === undefined) {
        return rejected(notification, 'The notification has no resourceUrl or resource.', common, delivery);
    }
    const match = CALLS_RESOURCE.exec(resource.trim());
    if (match === null) {
        return rejected(notification, `The resource ${JSON.stringify(resource.slice(0, 200))} is not a call.`, common, delivery);
    }
    const callId = safeDecode(match[1] ?? '');
    if (!isValidCallId(callId)) {
        return rejected(notification, `The resource ${JSON.stringify(resource.slice(0, 200))} names no valid call id.`, common, delivery);
    }
    const subPath = (match[2] ?? '').replace(/\/+$/, '');
    const resourceKind = resourceKindOf(subPath);
    const resourceData = notification.resourceData;
    const data = isObject(resourceData) ? resourceData : undefined;
    const state = data === undefined || resourceKind !== 'call' ? undefined : (stringOf(data.state) ?? stringOf(data.callState));
    const changeType = stringOf(notification.changeType)?.trim().toLowerCase();

    const event: NewCallEvent = {
        ...common,
        kind: EVENT_KIND.notification,
        resourceKind,
        resourceUrl: `/communications/calls/${callId}${subPath === '' ? '' : `/${subPath}`}`,
        ...defined({
            changeType,
            callState: state === undefined ? undefined : normalizeCallState(state),
            graphEtag: stringOf(data?.['@odata.etag']),
            terminationReason: stringOf(data?.terminationReason),
            chainId: delivery.chainId ?? stringOf(data?.callChainId),
            callChainId: isCallChainId(data?.callChainId) ? data.callChainId : undefined,
            resourceData: resourceData === undefined ? undefined : JSON.stringify(resourceData),
            // Kept whole (beside resourceData), so the relay hands the bot the notification as Graph sent it.
            notification: notificationColumn(notification),
            ...resultInfoOf(data?.resultInfo),
        }),
    };
    return { partition: callId, event };
}

function rejected(
    notification: unknown,
    reason: string,
    common: Pick<NewCallEvent, 'receivedAt' | 'dedupeKey' | 'tenantId' | 'messageId' | 'scenarioId'>,
    delivery: DeliveryContext,
): RoutedEvent {
    const fields = isObject(notification) ? notification : {};
    const event: NewCallEvent = {
        ...common,
        kind: EVENT_KIND.rejected,
        rejectReason: reason,
        // Nothing is dropped: the whole notification is kept, since it could not be read as a call's.
        resourceData: JSON.stringify(notification) ?? 'null',
        ...defined({
            changeType: stringOf(fields.changeType)?.trim().toLowerCase(),
            resourceUrl: stringOf(fields.resourceUrl) ?? stringOf(fields.resource),
            chainId: delivery.chainId,
        }),
    };
    return { partition: UNROUTED_PARTITION, event };
}

/** `resultInfo` codes arrive as numbers or as strings; keep integers, drop anything else. */
function resultInfoOf(value: unknown): { resultCode?: number; resultSubcode?: number; resultMessage?: string } {
    if (!isObject(value)) {
        return {};
    }
    return defined({
        resultCode: integerOf(value.code),
        resultSubcode: integerOf(value.subcode),
        resultMessage: stringOf(value.message),
    });
}

function integerOf(value: unknown): number | undefined {
    const number = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
    return typeof number === 'number' && Number.isSafeInteger(number) ? number : undefined;
}

function stringOf(value: unknown): string | undefined {
    return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function safeDecode(segment: string): string {
    try {
        return decodeURIComponent(segment);
    } catch {
        return segment;
    }
}
