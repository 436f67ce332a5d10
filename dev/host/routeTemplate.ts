// ASP.NET Core route templates, as the Azure Functions host matches them: literal segments compared
// case-insensitively, `{name}`, `{name?}`, `{name=default}`, `{name:constraint(args)}`, `{*catchAll}`,
// `name.{ext}`-style complex segments, and ASP.NET's precedence (`calls/active` wins over `calls/{id}`).

import { RouteTemplateError } from './errors';
import { constraintFor, type RouteConstraint } from './routeConstraints';

interface RouteParameter {
    name: string;
    optional: boolean;
    catchAll: boolean;
    defaultValue: string | undefined;
    constraints: RouteConstraint[];
}

type RoutePart = { kind: 'literal'; text: string } | { kind: 'parameter'; parameter: RouteParameter };

interface RouteSegment {
    parts: RoutePart[];
    /** For complex segments (more than one part): matches the raw segment, one group per parameter. */
    pattern?: RegExp;
}

export interface RouteTemplate {
    /** The template as written, without leading or trailing slashes. */
    text: string;
    segments: RouteSegment[];
    parameters: RouteParameter[];
    /** Constraint names ASP.NET might know but this host ignores, e.g. a custom one. */
    unknownConstraints: string[];
    /** ASP.NET inbound precedence, one digit per segment; lower sorts first. */
    precedence: number[];
}

export type RouteValues = Record<string, string>;

export function parseRouteTemplate(template: string): RouteTemplate {
    const text = template.replace(/^~?\/+|\/+$/g, '');
    const segments = text === '' ? [] : text.split('/').map((segment) => parseSegment(segment, text));
    const parameters = segments.flatMap((segment) => segment.parts.flatMap((part) => (part.kind === 'parameter' ? [part.parameter] : [])));
    validateTemplate(text, segments, parameters);
    return {
        text,
        segments,
        parameters,
        unknownConstraints: parameters.flatMap((parameter) => parameter.constraints.filter((c) => !c.known).map((c) => c.text)),
        precedence: segments.map(precedenceDigit),
    };
}

/**
 * Matches the raw (still percent-encoded) path segments below the route prefix; returns the route values,
 * each percent-decoded, or undefined. Optional parameters that are absent have no key, as in Azure.
 */
export function matchRouteTemplate(template: RouteTemplate, rawSegments: readonly string[]): RouteValues | undefined {
    const values: RouteValues = {};
    let consumedAll = false;
    for (const [index, segment] of template.segments.entries()) {
        const only = segment.parts.length === 1 ? segment.parts[0] : undefined;
        if (only?.kind === 'parameter' && only.parameter.catchAll) {
            const rest = rawSegments.slice(index);
            assignValue(values, only.parameter, rest.length > 0 ? rest.map(decodePathPart).join('/') : undefined);
            consumedAll = true;
            break;
        }
        const raw = rawSegments[index];
        if (raw === undefined) {
            if (only?.kind !== 'parameter' || !(only.parameter.optional || only.parameter.defaultValue !== undefined)) {
                return undefined;
            }
            assignValue(values, only.parameter, undefined);
        } else if (!matchSegment(segment, raw, values)) {
            return undefined;
        }
    }
    if (!consumedAll && rawSegments.length > template.segments.length) {
        return undefined;
    }
    const satisfied = template.parameters.every((parameter) => {
        const value = values[parameter.name];
        return value === undefined || parameter.constraints.every((constraint) => constraint.test(value));
    });
    return satisfied ? values : undefined;
}

/** Orders templates the way ASP.NET tries them: more specific (literal, constrained) segments first. */
export function comparePrecedence(a: RouteTemplate, b: RouteTemplate): number {
    const length = Math.max(a.precedence.length, b.precedence.length);
    for (let index = 0; index < length; index++) {
        const difference = (a.precedence[index] ?? 0) - (b.precedence[index] ?? 0);
        if (difference !== 0) return difference;
    }
    return 0;
}

/** Percent-decodes a path part; malformed escapes stay as they are instead of failing the request. */
function decodePathPart(raw: string): string {
    return raw.replace(/(?:%[0-9A-Fa-f]{2})+/g, (escapes) => {
        try {
            return decodeURIComponent(escapes);
        } catch {
            return escapes;
        }
    });
}

function matchSegment(segment: RouteSegment, raw: string, values: RouteValues): boolean {
    const [part] = segment.parts;
    if (segment.pattern === undefined && part !== undefined) {
        if (part.kind === 'literal') {
            // Literals compare with the decoded text, case-insensitively (ASP.NET's OrdinalIgnoreCase).
            return decodePathPart(raw).toLowerCase() === part.text.toLowerCase();
        }
        if (raw === '') return false;
        values[part.parameter.name] = decodePathPart(raw);
        return true;
    }
    const match = segment.pattern?.exec(raw);
    if (!match) return false;
    const parameters = segment.parts.flatMap((p) => (p.kind === 'parameter' ? [p.parameter] : []));
    parameters.forEach((parameter, index) => {
        const captured = match[index + 1];
        assignValue(values, parameter, captured === undefined ? undefined : decodePathPart(captured));
    });
    return true;
}

function assignValue(values: RouteValues, parameter: RouteParameter, value: string | undefined): void {
    const resolved = value ?? parameter.defaultValue;
    if (resolved !== undefined) {
        values[parameter.name] = resolved;
    }
}

function parseSegment(segment: string, template: string): RouteSegment {
    if (segment === '') {
        throw new RouteTemplateError(template, "the separator '/' cannot appear twice in a row.");
    }
    const parts: RoutePart[] = [];
    let literal = '';
    let index = 0;
    while (index < segment.length) {
        const char = segment[index] as string;
        if ((char === '{' || char === '}') && segment[index + 1] === char) {
            literal += char; // `{{` and `}}` are escaped braces
            index += 2;
        } else if (char === '}') {
            throw new RouteTemplateError(template, "there is a '}' without a matching '{'.");
        } else if (char === '{') {
            if (literal !== '') parts.push({ kind: 'literal', text: literal });
            literal = '';
            const [body, next] = readParameterBody(segment, index + 1, template);
            parts.push({ kind: 'parameter', parameter: parseParameter(body, template) });
            index = next;
        } else {
            literal += char;
            index += 1;
        }
    }
    if (literal !== '') parts.push({ kind: 'literal', text: literal });
    return parts.length > 1 ? { parts, pattern: complexSegmentPattern(parts, template) } : { parts };
}

/** The text between `{` and its `}`, with `{{`/`}}` unescaped (regex constraints need them). */
function readParameterBody(segment: string, start: number, template: string): [string, number] {
    let body = '';
    let index = start;
    while (index < segment.length) {
        const char = segment[index] as string;
        if ((char === '{' || char === '}') && segment[index + 1] === char) {
            body += char;
            index += 2;
        } else if (char === '}') {
            return [body, index + 1];
        } else if (char === '{') {
            throw new RouteTemplateError(template, "a parameter cannot contain an unescaped '{'.");
        } else {
            body += char;
            index += 1;
        }
    }
    throw new RouteTemplateError(template, "there is a '{' without a matching '}'.");
}

function parseParameter(body: string, template: string): RouteParameter {
    const catchAllMarker = /^\*{1,2}/.exec(body)?.[0] ?? '';
    let rest = body.slice(catchAllMarker.length);
    const name = /^[^:=?]*/.exec(rest)?.[0] ?? '';
    if (name === '' || /[{}/*]/.test(name)) {
        throw new RouteTemplateError(template, `"{${body}}" needs a parameter name without '{', '}', '/' or '*'.`);
    }
    rest = rest.slice(name.length);
    const constraints: RouteConstraint[] = [];
    while (rest.startsWith(':')) {
        const [constraintText, after] = readConstraint(rest.slice(1), template);
        constraints.push(constraintFor(constraintText, template));
        rest = after;
    }
    let optional = false;
    let defaultValue: string | undefined;
    if (rest.startsWith('=')) {
        defaultValue = rest.slice(1);
    } else if (rest === '?') {
        optional = true;
    } else if (rest !== '') {
        throw new RouteTemplateError(template, `"{${body}}" is not a valid parameter.`);
    }
    if (catchAllMarker !== '' && optional) {
        throw new RouteTemplateError(template, `the catch-all parameter "${name}" cannot be optional.`);
    }
    return { name, optional, catchAll: catchAllMarker !== '', defaultValue, constraints };
}

/** One `name` or `name(args)` after a ':'; parentheses may nest (regex constraints). */
function readConstraint(text: string, template: string): [string, string] {
    let depth = 0;
    for (let index = 0; index < text.length; index++) {
        const char = text[index];
        if (char === '\\') {
            index += 1;
        } else if (char === '(') {
            depth += 1;
        } else if (char === ')') {
            depth -= 1;
        } else if (depth === 0 && (char === ':' || char === '=' || (char === '?' && index === text.length - 1))) {
            return [text.slice(0, index), text.slice(index)];
        }
    }
    if (depth !== 0) {
        throw new RouteTemplateError(template, `the constraint "${text}" has unbalanced parentheses.`);
    }
    return [text, ''];
}

function complexSegmentPattern(parts: RoutePart[], template: string): RegExp {
    let source = '';
    parts.forEach((part, index) => {
        const previous = parts[index - 1];
        if (part.kind === 'literal') {
            source += escapeRegex(part.text);
            return;
        }
        if (previous?.kind === 'parameter') {
            throw new RouteTemplateError(template, 'a segment cannot contain two consecutive parameters.');
        }
        if (part.parameter.catchAll) {
            throw new RouteTemplateError(template, 'a catch-all parameter must be a segment of its own.');
        }
        const isLast = index === parts.length - 1;
        if (part.parameter.optional) {
            // ASP.NET allows an optional parameter in a complex segment only at its end, after a period
            // (`{name}.{ext?}`), and then the period may be missing too.
            if (!isLast || previous?.kind !== 'literal' || !previous.text.endsWith('.')) {
                throw new RouteTemplateError(template, `the optional parameter "${part.parameter.name}" must end its segment, after a '.'.`);
            }
            // Matching from the right means the extension is what follows the last period, so the
            // parameter before it turns lazy and the extension cannot contain a period.
            const withoutPeriod = source.slice(0, -2);
            const lastGroup = withoutPeriod.lastIndexOf('(.+)');
            const lazy = lastGroup < 0 ? withoutPeriod : `${withoutPeriod.slice(0, lastGroup)}(.+?)${withoutPeriod.slice(lastGroup + 4)}`;
            source = `${lazy}(?:\\.([^.]+))?`;
            return;
        }
        // Greedy groups: like ASP.NET, which matches complex segments from the right.
        source += '(.+)';
    });
    return new RegExp(`^${source}$`, 'i');
}

function validateTemplate(text: string, segments: RouteSegment[], parameters: RouteParameter[]): void {
    const seen = new Set<string>();
    for (const parameter of parameters) {
        const key = parameter.name.toLowerCase();
        if (seen.has(key)) {
            throw new RouteTemplateError(text, `the parameter "${parameter.name}" appears more than once.`);
        }
        seen.add(key);
    }
    segments.forEach((segment, index) => {
        const catchAll = segment.parts.some((part) => part.kind === 'parameter' && part.parameter.catchAll);
        if (catchAll && index !== segments.length - 1) {
            throw new RouteTemplateError(text, 'a catch-all parameter can only be the last segment.');
        }
    });
}

function precedenceDigit(segment: RouteSegment): number {
    const [part] = segment.parts;
    if (segment.parts.length > 1 || part === undefined) return 2;
    if (part.kind === 'literal') return 1;
    const digit = part.parameter.catchAll ? 5 : 3;
    return part.parameter.constraints.length > 0 ? digit - 1 : digit;
}

function escapeRegex(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
