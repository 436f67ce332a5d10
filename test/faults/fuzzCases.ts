// The fuzzed callback bodies: mutations of real notification shapes (keys deleted, wrong types, huge
// strings, `__proto__`, deep nesting, 100+ notifications per POST, odd resource paths and content types),
// random bytes and odd JSON, plus exact redeliveries of earlier bodies. Case `i` of seed `s` is made from
// its own generator (`randomFor(s, i)`), so any single case can be made again without the others.

import { CALLBACK_BODY_LIMIT } from '../../shared/requestBody';
import { randomFor, type Random } from './prng';

export const FUZZ_KINDS = [
    'valid',
    'deletedKey',
    'wrongType',
    'hugeString',
    'proto',
    'deepNesting',
    'manyNotifications',
    'randomBytes',
    'oddJson',
    'resourcePath',
    'headers',
    'repeat',
] as const;
type FuzzKind = (typeof FUZZ_KINDS)[number];

/** How often each kind is drawn after the first cases (which take every kind once, in order). */
const KIND_WEIGHTS: Record<FuzzKind, number> = {
    valid: 8,
    deletedKey: 12,
    wrongType: 14,
    hugeString: 5,
    proto: 8,
    deepNesting: 5,
    manyNotifications: 1.5,
    randomBytes: 8,
    oddJson: 12,
    resourcePath: 10,
    headers: 5,
    repeat: 8,
};
/** How far back a `repeat` may reach: well inside the dedupe window for any run. */
const REPEAT_REACH = 200;

export interface FuzzCase {
    index: number;
    kind: FuzzKind;
    /** Which variant of the kind, for the report. */
    variant: string;
    body: Buffer;
    /** Request headers besides Authorization (Content-Type among them, unless the case drops it). */
    headers: Record<string, string>;
    /** Notifications left exactly as Graph sends them: stored once if the body is accepted, never if refused. */
    tracers: string[];
}

export interface FuzzSetup {
    seed: number;
    /** The calls the notifications are about; mutations never route a notification to any other call. */
    callIds: readonly string[];
}

type Json = unknown;
type Notification = Record<string, Json>;

const STATES = ['incoming', 'establishing', 'ringing', 'established', 'hold', 'transferring', 'transferAccepted', 'redirecting', 'terminating', 'terminated'];

/** The id carried by notification `k` of case `index`; it matches `FUZZ_ID_PATTERN`. */
function fuzzId(seed: number, index: number, k: number): string {
    return `fz.${(seed >>> 0).toString(16)}.${index}.${k}`;
}

export const FUZZ_ID_PATTERN = /fz\.[0-9a-f]+\.\d+\.\d+/g;

/**
 * @example
 * const fuzz = fuzzCase({ seed: 7, callIds }, 123); // the same bytes on every run with seed 7
 */
export function fuzzCase(setup: FuzzSetup, index: number): FuzzCase {
    const random = randomFor(setup.seed, index);
    const kind = kindOf(setup.seed, index);
    if (kind === 'repeat') {
        // An exact redelivery of an earlier case that is not itself a repeat.
        let target = index - 1 - random.int(0, Math.min(index - 1, REPEAT_REACH - 1));
        while (target > 0 && kindOf(setup.seed, target) === 'repeat') target -= 1;
        if (target < 0 || kindOf(setup.seed, target) === 'repeat') return { ...makeCase(setup, index, 'valid', random), kind: 'repeat', variant: 'nothing earlier' };
        const original = fuzzCase(setup, target);
        return { ...original, index, kind: 'repeat', variant: `case ${target} (${original.kind}) again` };
    }
    return makeCase(setup, index, kind, random);
}

/** The kind of case `index`: every kind once in order, then weighted draws. */
function kindOf(seed: number, index: number): FuzzKind {
    if (index < FUZZ_KINDS.length) return FUZZ_KINDS[index]!;
    const total = Object.values(KIND_WEIGHTS).reduce((a, b) => a + b, 0);
    let draw = randomFor(seed ^ 0x5bd1e995, index).next() * total;
    for (const kind of FUZZ_KINDS) {
        draw -= KIND_WEIGHTS[kind];
        if (draw < 0) return kind;
    }
    return 'valid';
}

class CaseBuilder {
    readonly tracers: string[] = [];
    private k = 0;

    constructor(
        private readonly setup: FuzzSetup,
        private readonly index: number,
        readonly random: Random,
    ) {}

    callId(): string {
        return this.random.pick(this.setup.callIds);
    }

    /** A notification as Graph sends it, with a new id. */
    notification(callId = this.callId()): { id: string; notification: Notification } {
        const id = fuzzId(this.setup.seed, this.index, this.k++);
        return { id, notification: realNotification(this.random, callId, id) };
    }

    /** A notification kept exactly as sent: it must be stored once if the body is accepted. */
    tracer(callId?: string): Notification {
        const { id, notification } = this.notification(callId);
        this.tracers.push(id);
        return notification;
    }

    build(kind: FuzzKind, variant: string, body: string | Buffer, headers: Record<string, string> = {}, contentType: string | null = 'application/json'): FuzzCase {
        return {
            index: this.index,
            kind,
            variant,
            body: typeof body === 'string' ? Buffer.from(body) : body,
            headers: { ...(contentType === null ? {} : { 'Content-Type': contentType }), ...headers },
            tracers: this.tracers,
        };
    }
}

function makeCase(setup: FuzzSetup, index: number, kind: FuzzKind, random: Random): FuzzCase {
    const b = new CaseBuilder(setup, index, random);
    switch (kind) {
        case 'valid':
        case 'repeat': {
            const value = Array.from({ length: random.int(1, 3) }, () => b.tracer());
            return b.build(kind, `${value.length} notifications`, collection(value));
        }
        case 'deletedKey':
        case 'wrongType':
        case 'hugeString':
        case 'proto': {
            const { notification } = b.notification();
            const variant = MUTATIONS[kind](notification, random);
            // Beside it, notifications that must be stored as usual whatever the mutated one does.
            const value = random.shuffle([notification, ...Array.from({ length: random.int(0, 2) }, () => b.tracer())]);
            return b.build(kind, variant, collection(value));
        }
        case 'deepNesting':
            return deepNesting(b);
        case 'manyNotifications':
            return manyNotifications(b);
        case 'randomBytes': {
            // Rarely over the body limit (a 413): big bodies cost the shared machine more than they find.
            const size = random.chance(0.03) ? CALLBACK_BODY_LIMIT + 1 + random.int(0, 4096) : random.pick([0, 1, 7, 64, 512, 4096, 65_536]);
            const bytes = Buffer.alloc(size);
            for (let i = 0; i < size; i++) bytes[i] = random.int(0, 255);
            return b.build(kind, `${size} bytes`, bytes);
        }
        case 'oddJson':
            return oddJson(b);
        case 'resourcePath':
            return resourcePath(b);
        case 'headers':
            return oddHeaders(b);
    }
}

function collection(value: Json[], extra: Record<string, Json> = {}): string {
    return JSON.stringify({ '@odata.type': '#microsoft.graph.commsNotifications', value, ...extra });
}

/** One of the shapes Graph sends: a call (v1.0 or beta), its participants, or one of its operations. */
function realNotification(random: Random, callId: string, id: string): Notification {
    const shape = random.int(0, 9);
    if (shape === 0) {
        return {
            '@odata.type': '#microsoft.graph.commsNotification',
            changeType: 'updated',
            resourceUrl: `/communications/calls/${callId}/participants`,
            resourceData: [
                {
                    '@odata.type': '#microsoft.graph.participant',
                    clientContext: id,
                    id: uuid(random),
                    info: { identity: { user: { id: uuid(random), displayName: 'Fuzz Caller' } } },
                    isMuted: random.chance(0.5),
                    isInLobby: false,
                },
            ],
        };
    }
    if (shape === 1) {
        return {
            '@odata.type': '#microsoft.graph.commsNotification',
            changeType: 'updated',
            resourceUrl: `/communications/calls/${callId}/operations/${uuid(random)}`,
            resourceData: {
                clientContext: id,
                '@odata.type': '#microsoft.graph.playPromptOperation',
                '@odata.etag': `W/"${id}"`,
                status: random.pick(['running', 'completed', 'failed']),
                resultInfo: { '@odata.type': '#microsoft.graph.resultInfo', code: 200, subcode: 8550, message: 'Action completed, max prompt duration reached.' },
            },
        };
    }
    const state = random.pick(STATES);
    if (shape === 2) {
        return {
            '@odata.type': '#microsoft.graph.commsNotification',
            changeType: random.pick(['updated', 'deleted']),
            resource: `/app/calls/${callId}`,
            resourceData: { clientContext: id, '@odata.type': '#microsoft.graph.call', '@odata.id': `/app/calls/${callId}`, '@odata.etag': `W/"${id}"`, callState: state },
        };
    }
    const ending = state === 'terminated' || state === 'terminating';
    return {
        '@odata.type': '#microsoft.graph.commsNotification',
        changeType: random.pick(['updated', 'updated', 'updated', 'created', 'deleted']),
        resourceUrl: `/communications/calls/${callId}`,
        resourceData: {
            clientContext: id,
            '@odata.type': '#microsoft.graph.call',
            '@odata.id': `/communications/calls/${callId}`,
            '@odata.etag': `W/"${id}"`,
            state,
            direction: 'incoming',
            callChainId: uuid(random),
            mediaState: { '@odata.type': '#microsoft.graph.callMediaState', audio: 'active' },
            ...(ending
                ? {
                      resultInfo: {
                          '@odata.type': '#microsoft.graph.resultInfo',
                          code: random.pick([0, 200, '200', 487]),
                          subcode: random.pick([5000, '5000', 540000]),
                          message: 'The call was ended.',
                      },
                  }
                : {}),
        },
    };
}

function resourceDataOf(notification: Notification): Record<string, Json> {
    const data = notification.resourceData;
    if (typeof data === 'object' && data !== null && !Array.isArray(data)) return data as Record<string, Json>;
    const first = Array.isArray(data) ? data[0] : undefined;
    if (typeof first === 'object' && first !== null) return first as Record<string, Json>;
    const made: Record<string, Json> = {};
    notification.resourceData = made;
    return made;
}

/** A GUID from the case's generator, so the case's bytes are the same on every run with the seed. */
function uuid(random: Random): string {
    const hex = Array.from({ length: 32 }, () => random.int(0, 15).toString(16)).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
}

/** Sets an own enumerable property, so JSON.stringify writes keys like `__proto__` as they are. */
function setOwn(target: Record<string, Json>, key: string, value: Json): void {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

const WRONG_VALUES: Json[] = [null, true, false, 0, -1, 1.5, 1e308, -1e-308, '', '   ', [], {}, [1, 'two'], { nested: { deeper: [] } }, '12345678901234567890', 'NaN'];

/** Each mutates one notification in place and names what it did. */
const MUTATIONS: Record<'deletedKey' | 'wrongType' | 'hugeString' | 'proto', (n: Notification, random: Random) => string> = {
    deletedKey(n, random) {
        const data = resourceDataOf(n);
        const keys = [...Object.keys(n).map((k) => ['notification', k] as const), ...Object.keys(data).map((k) => ['resourceData', k] as const)];
        const [where, key] = random.pick(keys);
        delete (where === 'notification' ? n : data)[key];
        return `${where}.${key} deleted`;
    },
    wrongType(n, random) {
        const data = resourceDataOf(n);
        const value = random.pick(WRONG_VALUES);
        const target = random.pick([
            'changeType',
            'resourceUrl',
            'resource',
            'resourceData',
            'state',
            'callState',
            'resultInfo',
            'resultInfo.code',
            'resultInfo.message',
            '@odata.etag',
            'terminationReason',
        ]);
        if (['changeType', 'resourceUrl', 'resource', 'resourceData'].includes(target)) n[target] = value;
        else if (target === 'resultInfo.code' || target === 'resultInfo.message') {
            data.resultInfo = { code: 200, subcode: 5001, message: 'x', [target.slice('resultInfo.'.length)]: value };
        } else data[target] = value;
        return `${target} = ${JSON.stringify(value)}`;
    },
    hugeString(n, random) {
        const data = resourceDataOf(n);
        const length = random.chance(0.05) ? 200_000 : random.pick([33_000, 40_000, 70_000]);
        const unit = random.pick(['x', 'é', '😀', '"\\']);
        const text = unit.repeat(Math.ceil(length / unit.length));
        const target = random.pick([
            'resultInfo.message',
            'terminationReason',
            'state',
            'changeType',
            '@odata.etag',
            'operation path',
            'not a call path',
            'key name',
            'resourceData value',
        ]);
        if (target === 'resultInfo.message') data.resultInfo = { code: 200, subcode: 5001, message: text };
        else if (target === 'terminationReason' || target === 'state' || target === '@odata.etag') data[target] = text;
        else if (target === 'changeType') n.changeType = text;
        else if (target === 'operation path') n.resourceUrl = `${String(n.resourceUrl ?? n.resource ?? '')}/operations/${'o'.repeat(length)}`;
        else if (target === 'not a call path') n.resourceUrl = `/communications/meetings/${'m'.repeat(length)}`;
        else if (target === 'key name') data['k'.repeat(length)] = 1;
        else data.blob = 'b'.repeat(120_000);
        return `${target}: ${length} characters of ${JSON.stringify(text.slice(0, 2))}`;
    },
    proto(n, random) {
        const data = resourceDataOf(n);
        const variant = random.int(0, 5);
        if (variant === 0) setOwn(n, '__proto__', { changeType: 'deleted', resourceUrl: '/communications/calls/polluted' });
        else if (variant === 1) setOwn(data, '__proto__', { state: 'terminated', polluted: true });
        else if (variant === 2) setOwn(n, 'constructor', { prototype: { polluted: true } });
        else if (variant === 3) setOwn(data, '__proto__', null);
        else if (variant === 4) setOwn(data, 'hasOwnProperty', 'not a function');
        else setOwn(n, 'toString', { valueOf: 1 });
        return ['__proto__ on the notification', '__proto__ on resourceData', 'constructor.prototype', '__proto__: null', 'hasOwnProperty', 'toString'][variant]!;
    },
};

function deepNesting(b: CaseBuilder): FuzzCase {
    const { random } = b;
    const depth = random.chance(0.05) ? 100_000 : random.pick([64, 1000, 5000, 20_000]);
    const where = random.pick(['resourceData', 'notification', 'value', 'body']);
    const arrays = random.chance(0.5);
    const nested = arrays ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    const variant = `${depth} levels of ${arrays ? 'arrays' : 'objects'} as the ${where}`;
    if (where === 'body') return b.build('deepNesting', variant, nested);
    if (where === 'value') return b.build('deepNesting', variant, `{"value":${nested}}`);
    const { notification } = b.notification();
    const marker = '"__nested__"';
    const tracer = b.tracer();
    if (where === 'resourceData') resourceDataOf(notification).nested = '__nested__';
    const text = where === 'notification' ? collection([tracer, '__nested__']) : collection(random.shuffle([notification, tracer]));
    return b.build('deepNesting', variant, text.replace(marker, nested));
}

function manyNotifications(b: CaseBuilder): FuzzCase {
    const { random } = b;
    const count = random.int(100, 160);
    const calls = Array.from({ length: random.int(1, 4) }, () => b.callId());
    const value: Json[] = [];
    for (let i = 0; i < count; i++) {
        const roll = random.next();
        if (roll < 0.1 && value.length > 0) {
            value.push(random.pick(value)); // the same notification twice in one POST: stored once
        } else if (roll < 0.2) {
            const { notification } = b.notification(random.pick(calls));
            MUTATIONS[random.pick(['deletedKey', 'wrongType'] as const)](notification, random);
            value.push(notification);
        } else {
            value.push(b.tracer(random.pick(calls)));
        }
    }
    return b.build('manyNotifications', `${count} notifications for ${new Set(calls).size} calls`, collection(value));
}

function oddJson(b: CaseBuilder): FuzzCase {
    const { random } = b;
    const valid = () => collection([b.tracer()]);
    const variants: Array<[string, () => string | Buffer]> = [
        ['null', () => 'null'],
        ['a number', () => random.pick(['0', '-0', '1e400', '123456789012345678901234567890'])],
        ['a string', () => '"value"'],
        ['true', () => 'true'],
        ['an empty array', () => '[]'],
        ['an empty object', () => '{}'],
        ['value: null', () => '{"value":null}'],
        ['value: an object', () => '{"value":{"0":{}}}'],
        ['value: a string', () => '{"value":"[]"}'],
        ['value: an empty array', () => '{"value":[]}'],
        ['value: not notifications', () => '{"value":[null,1,"s",[],true,{},1e400]}'],
        ['a byte-order mark first', () => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(valid())])],
        ['trailing garbage', () => `${valid()} x`],
        ['cut short', () => valid().slice(0, random.int(1, 60))],
        ['value twice', () => `{"value":[],"value":${JSON.stringify([b.tracer()])}}`],
        ['comments', () => `/* c */ ${collection([])}`],
        ['single quotes', () => "{'value':[]}"],
        ['NaN', () => '{"value":[NaN]}'],
        [
            'a lone surrogate in the state',
            () =>
                valid()
                    .replace(/"state":"[^"]*"/, '"state":"\\ud800"')
                    .replace(/"callState":"[^"]*"/, '"callState":"\\udfff"'),
        ],
        ['NUL in the state', () => valid().replace(/"state":"[^"]*"/, '"state":"estab\\u0000lished"')],
        ['UTF-16', () => Buffer.from(`\ufeff${valid()}`, 'utf16le')],
        ['invalid UTF-8', () => Buffer.concat([Buffer.from('{"value":[{"changeType":"'), Buffer.from([0xc0, 0xaf, 0xff, 0xfe]), Buffer.from('"}]}')])],
        ['whitespace only', () => ' \n\t\r '],
        ['an empty body', () => ''],
        ['1,000 empty notifications', () => collection(Array.from({ length: 1000 }, () => ({})))],
    ];
    const [variant, make] = random.pick(variants);
    return b.build('oddJson', variant, make());
}

function resourcePath(b: CaseBuilder): FuzzCase {
    const { random } = b;
    const callId = b.callId();
    const encodedFirst = `%${callId.charCodeAt(0).toString(16)}${callId.slice(1)}`;
    const paths = [
        `https://graph.microsoft.com/v1.0/communications/calls/${callId}`,
        `https://graph.microsoft.com/beta/app/calls/${callId}`,
        `/applications/${uuid(random)}/calls/${callId}`,
        `/communications/calls/${callId}/`,
        `/COMMUNICATIONS/Calls/${callId}`,
        `/communications/calls/${encodedFirst}`,
        `/communications/calls/${callId}?$select=state`,
        `/communications/calls/${callId}#fragment`,
        `communications/calls/${callId}/operations/${uuid(random)}`,
        `/communications/calls/${callId}/audioRoutingGroups/${uuid(random)}`,
        '/communications/calls/',
        '/communications/calls/..',
        `/communications/calls/${callId}'`,
        `/communications/calls/${callId}%2F..%2Fother`,
        `/communications/calls/${'a'.repeat(200)}`,
        `/communications/calls/ca\u0301ll`,
        `/communications/calls/${callId}\u0000`,
        '/communications/onlineMeetings/abc',
        '',
        '   ',
    ];
    const path = random.pick(paths);
    const { notification } = b.notification(callId);
    delete notification.resource;
    notification[random.chance(0.8) ? 'resourceUrl' : 'resource'] = path;
    return b.build('resourcePath', JSON.stringify(path.slice(0, 80)), collection(random.shuffle([notification, b.tracer()])));
}

function oddHeaders(b: CaseBuilder): FuzzCase {
    const { random } = b;
    const body = collection([b.tracer()]);
    const variants: Array<[string, Record<string, string>, string | null]> = [
        ['text/plain', {}, 'text/plain'],
        ['application/xml', {}, 'application/xml'],
        ['multipart/form-data', {}, 'multipart/form-data; boundary=x'],
        ['no Content-Type', {}, null],
        ['application/json; charset=utf-8', {}, 'application/json; charset=utf-8'],
        ['APPLICATION/JSON', {}, 'APPLICATION/JSON'],
        ['application/cloudevents+json', {}, 'application/cloudevents+json'],
        ['an 8,000-character chain id', { 'X-Microsoft-Skype-Chain-ID': 'c'.repeat(8000) }, 'application/json'],
        ['odd correlation headers', { 'Scenario-ID': ' ', 'X-Microsoft-Skype-Message-ID': '\'"<>%00', 'X-Microsoft-Skype-Chain-ID': '' }, 'application/json'],
    ];
    const [variant, headers, contentType] = random.pick(variants);
    return b.build('headers', variant, body, headers, contentType);
}
