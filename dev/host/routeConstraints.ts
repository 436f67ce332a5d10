// ASP.NET Core's inline route constraints (`{id:int}`, `{name:alpha}`, `{id:guid}`, `{n:range(1,9)}`, ...),
// tested against the decoded value. Unknown constraints are accepted and ignored, and reported at start-up.

import { RouteTemplateError } from './errors';

export interface RouteConstraint {
    /** As written, e.g. `range(1,9)`. */
    text: string;
    known: boolean;
    test(value: string): boolean;
}

type ConstraintFactory = (args: string[], text: string) => (value: string) => boolean;

const INT32: [bigint, bigint] = [-(2n ** 31n), 2n ** 31n - 1n];
const INT64: [bigint, bigint] = [-(2n ** 63n), 2n ** 63n - 1n];

const FACTORIES: Record<string, ConstraintFactory> = {
    int: () => (value) => integerIn(value, INT32),
    long: () => (value) => integerIn(value, INT64),
    bool: () => (value) => /^\s*(true|false)\s*$/i.test(value),
    alpha: () => (value) => /^[a-z]*$/i.test(value),
    guid: () => isGuid,
    decimal: () => (value) => /^\s*[+-]?(\d[\d,]*(\.\d*)?|\.\d+)\s*$/.test(value),
    double: () => isFloat,
    float: () => isFloat,
    datetime: () => (value) => !Number.isNaN(Date.parse(value)),
    required: () => (value) => value !== '',
    min: (args, text) => {
        const min = integerArgument(args, 0, text);
        return (value) => integerIn(value, INT64) && BigInt(value.trim()) >= min;
    },
    max: (args, text) => {
        const max = integerArgument(args, 0, text);
        return (value) => integerIn(value, INT64) && BigInt(value.trim()) <= max;
    },
    range: (args, text) => {
        const bounds: [bigint, bigint] = [integerArgument(args, 0, text), integerArgument(args, 1, text)];
        return (value) => integerIn(value, bounds);
    },
    minlength: (args, text) => {
        const min = Number(integerArgument(args, 0, text));
        return (value) => value.length >= min;
    },
    maxlength: (args, text) => {
        const max = Number(integerArgument(args, 0, text));
        return (value) => value.length <= max;
    },
    length: (args, text) => {
        const min = Number(integerArgument(args, 0, text));
        const max = args.length > 1 ? Number(integerArgument(args, 1, text)) : min;
        return (value) => value.length >= min && value.length <= max;
    },
    // ASP.NET does not anchor the pattern and ignores case.
    regex: (args, text) => {
        try {
            const pattern = new RegExp(args.join(','), 'i');
            return (value) => pattern.test(value);
        } catch (err) {
            throw new RouteTemplateError(text, `the constraint regex is invalid: ${(err as Error).message}`);
        }
    },
};

/** The constraint for `text` (`name` or `name(args)`); `template` is for error messages. */
export function constraintFor(text: string, template: string): RouteConstraint {
    const match = /^([^(]*)(?:\((.*)\))?$/s.exec(text);
    const name = (match?.[1] ?? text).toLowerCase();
    const argsText = match?.[2];
    const factory = FACTORIES[name];
    if (factory === undefined) {
        return { text, known: false, test: () => true };
    }
    const args = argsText === undefined ? [] : name === 'regex' ? [argsText] : argsText.split(',').map((arg) => arg.trim());
    return { text, known: true, test: factory(args, template) };
}

function integerIn(value: string, [min, max]: [bigint, bigint]): boolean {
    if (!/^\s*[+-]?\d+\s*$/.test(value)) return false;
    const number = BigInt(value.trim());
    return number >= min && number <= max;
}

function integerArgument(args: string[], index: number, template: string): bigint {
    const arg = args[index];
    if (arg === undefined || !/^[+-]?\d+$/.test(arg)) {
        throw new RouteTemplateError(template, `a constraint expects a whole number as argument ${index + 1}.`);
    }
    return BigInt(arg);
}

function isFloat(value: string): boolean {
    return /^\s*[+-]?(\d[\d,]*(\.\d*)?|\.\d+)(e[+-]?\d+)?\s*$/i.test(value);
}

/** The formats .NET's Guid.TryParse reads: N (32 digits), D (hyphens), B ({D}) and P ((D)). */
function isGuid(value: string): boolean {
    const hyphenated = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
    return new RegExp(`^\\s*([0-9a-f]{32}|${hyphenated}|\\{${hyphenated}\\}|\\(${hyphenated}\\))\\s*$`, 'i').test(value);
}
