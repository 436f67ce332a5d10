// Delivers notifications to a call's callbackUri the way Graph does: one POST per notification, in order per call,
// with correlation headers and a signed bearer token, bent by the callback faults (duplicate, reverse, delay).

import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import { sleep } from './http';
import { envelope, notifiedState, type CommsNotification } from './notifications';
import type { SimulatedCall, SimulatorState } from './state';

export interface CallbackDeliveryOptions {
    state: SimulatorState;
    signToken(): Promise<string>;
    /** Trusted for https callbackUris besides the public roots: the local CA, so an HTTPS host on it works. */
    caCertPem: string;
    log(line: string): void;
}

const DELIVERY_TIMEOUT_MS = 30_000;

export class CallbackDelivery {
    private readonly options: CallbackDeliveryOptions;
    /** The tail of each call's queue: a call's notifications go out one after another, never overlapping. */
    private readonly queues = new Map<string, Promise<void>>();
    private readonly stopping = new AbortController();
    /** Bumped by `cancelQueued()`; a queued notification from an older generation is dropped, not sent. */
    private generation = 0;
    private readonly agents = {
        http: new http.Agent({ keepAlive: true }),
        https: new https.Agent({ keepAlive: true }),
    };

    constructor(options: CallbackDeliveryOptions) {
        this.options = options;
        // Every delivery in flight listens on this one signal; bursts of hundreds are normal, not a leak.
        setMaxListeners(0, this.stopping.signal);
    }

    /**
     * Queues the notifications of one operation on a call, in the order given (reversed under the `reverse`
     * fault), behind whatever that call still has to deliver. They go out once `startAfter` settles: Graph
     * notifies after it has answered the request that caused them, yet `settled()` must count them at once.
     */
    send(call: SimulatedCall, notifications: CommsNotification[], startAfter: Promise<unknown> = Promise.resolve()): void {
        const ordered = this.options.state.faults.reverse ? [...notifications].reverse() : notifications;
        const target = { callId: call.id, url: call.callbackUri, chainId: call.callChainId, scenarioId: call.scenarioId };
        const previous = this.queues.get(call.id) ?? Promise.resolve();
        const generation = this.generation;
        const next = Promise.all([previous, startAfter])
            .then(async () => {
                for (const notification of ordered) {
                    if (generation !== this.generation) return;
                    await this.deliver(target, notification);
                }
            })
            // deliver() records its own failures; anything else is a simulator defect, which must not end the process.
            .catch((err: unknown) => this.options.log(`callback delivery for call ${call.id} broke: ${String(err)}`));
        const tail = next.finally(() => {
            if (this.queues.get(call.id) === tail) this.queues.delete(call.id);
        });
        this.queues.set(call.id, tail);
    }

    /** Records notifications that Graph never sends, so stats and the activity log show what the app missed. */
    drop(call: SimulatedCall, notifications: CommsNotification[]): void {
        for (const notification of notifications) {
            const state = notifiedState(notification);
            this.options.state.recordDelivery({
                at: new Date().toISOString(),
                callId: call.id,
                url: call.callbackUri,
                changeType: notification.changeType,
                resourceUrl: notification.resourceUrl,
                ...(state !== undefined ? { state } : {}),
                messageId: randomUUID(),
                copy: 1,
                status: null,
                dropped: true,
            });
        }
    }

    /** Resolves once nothing is queued or in flight; rejects after timeoutMs. */
    async settled(timeoutMs = 30_000): Promise<void> {
        const deadline = Date.now() + timeoutMs;
        while (this.queues.size > 0) {
            const remaining = deadline - Date.now();
            if (remaining <= 0) {
                throw new Error(`Callback deliveries did not finish within ${timeoutMs} ms.`);
            }
            // The timer is cancelled once the queues drain, so a waiting caller never keeps the process alive.
            const timer = new AbortController();
            await Promise.race([Promise.all(this.queues.values()), sleep(remaining, timer.signal)]);
            timer.abort();
        }
    }

    /** Drops every notification not yet sent (a POST already on the wire still completes): the simulator was reset. */
    cancelQueued(): void {
        this.generation++;
    }

    /** Drops what is queued and waits for nothing: the simulator is going away. */
    stop(): void {
        this.stopping.abort();
        this.agents.http.destroy();
        this.agents.https.destroy();
    }

    private async deliver(target: DeliveryTarget, notification: CommsNotification): Promise<void> {
        const { state, log } = this.options;
        const faults = state.faults;
        const copies = faults.duplicate ? 2 : 1;
        const messageId = randomUUID();
        const body = JSON.stringify(envelope(faults.withoutChainId ? withoutChainId(notification) : notification));
        for (let copy = 1; copy <= copies; copy++) {
            await sleep(faults.delayMs, this.stopping.signal);
            if (this.stopping.signal.aborted) {
                return;
            }
            const record = state.recordDelivery({
                at: new Date().toISOString(),
                callId: target.callId,
                url: target.url,
                changeType: notification.changeType,
                resourceUrl: notification.resourceUrl,
                ...(notifiedState(notification) !== undefined ? { state: notifiedState(notification) } : {}),
                messageId,
                copy,
                status: null,
            });
            try {
                const token = await this.options.signToken();
                record.status = await this.post(target, body, {
                    authorization: `Bearer ${token}`,
                    ...(faults.withoutChainId ? {} : { 'x-microsoft-skype-chain-id': target.chainId }),
                    // A redelivery repeats the message id: it is the same message sent again.
                    'x-microsoft-skype-message-id': messageId,
                    'scenario-id': target.scenarioId,
                    'client-request-id': randomUUID(),
                });
            } catch (err) {
                record.error = err instanceof Error ? `${(err as NodeJS.ErrnoException).code ?? err.name}: ${err.message}` : String(err);
                log(`callback to ${target.url} for call ${target.callId} failed: ${record.error}`);
            }
        }
    }

    private post(target: DeliveryTarget, body: string, headers: Record<string, string>): Promise<number> {
        const url = new URL(target.url);
        const secure = url.protocol === 'https:';
        const options: https.RequestOptions = {
            method: 'POST',
            headers: {
                ...headers,
                'content-type': 'application/json',
                'content-length': Buffer.byteLength(body),
                'user-agent': 'teams-call-record-simulator',
            },
            agent: secure ? this.agents.https : this.agents.http,
            timeout: DELIVERY_TIMEOUT_MS,
            signal: this.stopping.signal,
            ...(secure ? { ca: [...rootCertificates, this.options.caCertPem] } : {}),
        };
        return new Promise((resolve, reject) => {
            const request = (secure ? https : http).request(url, options, (response) => {
                response.resume();
                response.on('end', () => resolve(response.statusCode ?? 0));
                response.on('error', reject);
            });
            request.on('timeout', () => request.destroy(new Error(`no answer within ${DELIVERY_TIMEOUT_MS} ms`)));
            request.on('error', reject);
            request.end(body);
        });
    }
}

/** The notification without the call's `callChainId` (the withoutChainId fault). */
function withoutChainId(notification: CommsNotification): CommsNotification {
    if (Array.isArray(notification.resourceData)) return notification;
    const { callChainId: _chain, ...rest } = notification.resourceData;
    return { ...notification, resourceData: rest };
}

interface DeliveryTarget {
    callId: string;
    url: string;
    chainId: string;
    scenarioId: string;
}
