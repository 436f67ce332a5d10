// Pipeline policies for a test's own TableClient (TableClient option `additionalPolicies`): they change
// when requests reach the real Azurite, or make it refuse a request, without standing in for it.

import { RestError, type PipelinePolicy, type PipelineRequest } from '@azure/core-rest-pipeline';
import type { TableServiceClientOptions } from '@azure/data-tables';

type AdditionalPolicyConfig = NonNullable<TableServiceClientOptions['additionalPolicies']>[number];

export interface RequestGate {
    /** Pass as `additionalPolicies` to the TableClient. */
    policies: AdditionalPolicyConfig[];
    /** Resolves when the first matching request is being held and no other request of this client is in flight. */
    heldAlone(): Promise<void>;
    /** Lets the held request go on to the storage. */
    release(): void;
}

/** Decoded URL, so `RowKey='state'` can be matched however the SDK encodes it. */
function requestTarget(request: PipelineRequest): string {
    return `${request.method} ${decodeURIComponent(request.url)}`;
}

/**
 * Holds the first request that `matches` until `release()`, so a test can let another writer commit
 * between two reads of one writer. Every other request passes untouched.
 */
export function holdFirstRequest(matches: (target: string) => boolean): RequestGate {
    let inFlight = 0;
    let holding = false;
    let used = false;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const waiters: Array<() => void> = [];
    const check = () => {
        if (holding && inFlight === 1) {
            for (const wake of waiters.splice(0)) wake();
        }
    };
    const policy: PipelinePolicy = {
        name: 'holdFirstRequest',
        async sendRequest(request, next) {
            inFlight += 1;
            try {
                if (!used && matches(requestTarget(request))) {
                    used = true;
                    holding = true;
                    check();
                    await released;
                    holding = false;
                }
                return await next(request);
            } finally {
                inFlight -= 1;
                check();
            }
        },
    };
    return {
        policies: [{ policy, position: 'perCall' }],
        heldAlone: () =>
            new Promise<void>((resolve) => {
                waiters.push(resolve);
                check();
            }),
        release,
    };
}

/**
 * Makes the real storage refuse any transaction that carries `marker`: the marker is blown up to more
 * than a string property holds, so Azurite answers 400 PropertyValueTooLarge for it. Stands for a value
 * the storage cannot hold although it passed the app's own limits.
 */
export function refuseTransactionsContaining(marker: string): AdditionalPolicyConfig[] {
    const policy: PipelinePolicy = {
        name: 'refuseTransactionsContaining',
        sendRequest(request, next) {
            if (typeof request.body === 'string' && request.body.includes(marker)) {
                request.body = request.body.split(marker).join(marker + 'x'.repeat(40_000));
            }
            return next(request);
        },
    };
    return [{ policy, position: 'perCall' }];
}

/** Fails every request whose target matches with a 503, as an outage of that part of the storage would. */
export function failRequests(matches: (target: string) => boolean): AdditionalPolicyConfig[] {
    const policy: PipelinePolicy = {
        name: 'failRequests',
        sendRequest(request, next) {
            if (matches(requestTarget(request))) {
                return Promise.reject(new RestError('The test cut this request off.', { statusCode: 503, request }));
            }
            return next(request);
        },
    };
    return [{ policy, position: 'perCall' }];
}
