// A Storage queue message as the Functions host hands it to the Node.js worker: its text decoded as host.json's
// `messageEncoding` says (base64 by default), the trigger value as a string (which `@azure/functions` parses when
// it is JSON), and the queue trigger's binding data as trigger metadata (QueueTriggerBinding.CreateBindingData).

import type { DequeuedMessageItem } from '@azure/storage-queue';
import type { RpcTypedData } from './coreTypes';

/** .NET's Convert.FromBase64String: whole groups of four, padding only at the end. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The message's text for the function, or undefined when its text cannot be decoded (the host then moves it to the
 * poison queue at once, whatever its dequeue count).
 *
 * @example
 * decodeMessageText('eyJjYWxsSWQiOiJjMSJ9', 'base64') // '{"callId":"c1"}'
 */
export function decodeMessageText(text: string, encoding: 'base64' | 'none'): string | undefined {
    if (encoding === 'none') return text;
    const compact = text.replace(/\s+/g, '');
    if (!BASE64.test(compact)) return undefined;
    return Buffer.from(compact, 'base64').toString('utf8');
}

/** The trigger value: the text as a string, as the host sends a queue message to the worker. */
export function queueTriggerData(text: string): RpcTypedData {
    return { string: text };
}

/** `context.triggerMetadata`: `queueTrigger`, `dequeueCount`, `id`, `insertionTime`, ... once the package camel-cases them. */
export function queueTriggerMetadata(message: DequeuedMessageItem, text: string): Record<string, RpcTypedData> {
    return {
        QueueTrigger: { string: text },
        DequeueCount: { json: String(message.dequeueCount) },
        ExpirationTime: { json: JSON.stringify(message.expiresOn.toISOString()) },
        Id: { json: JSON.stringify(message.messageId) },
        InsertionTime: { json: JSON.stringify(message.insertedOn.toISOString()) },
        NextVisibleTime: { json: JSON.stringify(message.nextVisibleOn.toISOString()) },
        PopReceipt: { json: JSON.stringify(message.popReceipt) },
    };
}

/** The `Trigger Details:` of a queue invocation, as Core Tools logs them. */
export function queueTriggerDetails(message: DequeuedMessageItem): Record<string, string> {
    return { MessageId: message.messageId, DequeueCount: String(message.dequeueCount), InsertedOn: message.insertedOn.toISOString() };
}
