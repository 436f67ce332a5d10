// Checks real HTTP answers against the app's OpenAPI description (shared/http/openApi.ts): the path and method
// are documented, the status is one the operation lists, required headers are there, the content type is
// a documented one, and a JSON body validates against its schema (ajv, JSON Schema 2020-12 as OpenAPI 3.1
// uses it). Any test can run its answers through it:
//
//   const api = new OpenApiChecker();
//   const response = await fetch(`${host.baseUrl}/calls`);
//   await api.checkResponse('GET', response); // throws, naming what does not match
//
// or wrap fetch once: `const fetchChecked = api.checkingFetch(fetch);`. The integration and end-to-end tests talk to
// the app through `checkedFetch` (one checker per test process), so every answer they receive is checked.

import assert from 'node:assert/strict';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { openApiDocument, type OpenApiDocument } from '../../shared/http/openApi';

/** An answer as any client saw it (fetch, Playwright, node:http). */
export interface ObservedAnswer {
    method: string;
    url: string;
    status: number;
    /** Header names in any case; node:http's repeated headers as arrays. */
    headers: Record<string, string | string[] | undefined>;
    body: string;
}

interface Operation {
    template: string;
    pointer: string;
    responses: Record<string, unknown>;
}

type Json = Record<string, unknown>;

const DOCUMENT_ID = 'openapi.json';

export class OpenApiChecker {
    readonly document: OpenApiDocument;
    readonly #serverPath: string;
    readonly #ajv: Ajv2020;
    readonly #validators = new Map<string, ValidateFunction>();
    readonly #routes: Array<{ template: string; pattern: RegExp; literals: number }>;
    /** Operations whose last path parameter takes the rest of the path, slashes included, or nothing (`x-rest-of-path`). */
    readonly #restOfPath: Array<{ template: string; method: string; pattern: RegExp }>;

    /** @param serverPath the API's root path in the URLs that will be checked (the route prefix). */
    constructor(document: OpenApiDocument = openApiDocument('/api'), serverPath = '/api') {
        this.document = document;
        this.#serverPath = serverPath.replace(/\/+$/, '');
        // OpenAPI's own keywords (example, discriminator, ...) are not JSON Schema's: not strict.
        this.#ajv = new Ajv2020({ strict: false, allErrors: true });
        addFormats(this.#ajv);
        this.#ajv.addSchema(document, DOCUMENT_ID);
        const source = (parts: string[]) => parts.map((part) => (/^\{[^}]+\}$/.test(part) ? '([^/]+)' : escapeRegExp(part))).join('/');
        this.#routes = Object.keys(document.paths)
            .map((template) => {
                const parts = template.split('/').slice(1);
                return { template, pattern: new RegExp(`^/${source(parts)}/?$`, 'i'), literals: parts.filter((part) => !part.startsWith('{')).length };
            })
            .sort((a, b) => b.literals - a.literals);
        this.#restOfPath = Object.entries(document.paths).flatMap(([template, item]) =>
            Object.entries(item).flatMap(([method, operation]) => {
                const name = (operation as Json)['x-rest-of-path'];
                if (typeof name !== 'string' || !template.endsWith(`/{${name}}`)) return [];
                const parts = template.split('/').slice(1, -1);
                return [{ template, method, pattern: new RegExp(`^/${source(parts)}(/.*)?$`, 'i') }];
            }),
        );
    }

    /** Checks a fetch Response (reading a clone, so the caller can still read the body); resolves with the body parsed. */
    async checkResponse(method: string, response: Response): Promise<unknown> {
        const headers: Record<string, string> = {};
        response.headers.forEach((value, name) => {
            headers[name] = value;
        });
        return this.check({ method, url: response.url, status: response.status, headers, body: await response.clone().text() });
    }

    /** A fetch that checks every answer it gets before handing it back. */
    checkingFetch(fetchFn: typeof fetch = fetch): typeof fetch {
        return async (input, init) => {
            const response = await fetchFn(input, init);
            await this.checkResponse(init?.method ?? (input instanceof Request ? input.method : 'GET'), response);
            return response;
        };
    }

    /**
     * Checks one answer; throws an assertion error naming the operation and what differs. Returns the body, parsed
     * when JSON. A request the document has no operation for (an unknown route, or a known path with another method)
     * never reaches a function: its answer is the host's own 404, which is not the app's API and is checked only
     * for being that 404.
     */
    check(answer: ObservedAnswer): unknown {
        const method = answer.method.toLowerCase();
        const pathname = new URL(answer.url, 'http://localhost').pathname;
        if (this.operationOf(method, pathname) === undefined && isHostRouteMiss(answer)) return answer.body;
        const operation = this.#operation(method, pathname);
        const what = `${answer.method.toUpperCase()} ${operation.template} answered ${answer.status}`;
        const declared = operation.responses[String(answer.status)] ?? operation.responses.default;
        assert.ok(
            declared !== undefined,
            `${what}: the OpenAPI document lists no ${answer.status} for this operation (it lists ${Object.keys(operation.responses).join(', ')}). Body: ${answer.body.slice(0, 300)}`,
        );
        const { value: spec, pointer } = this.#resolve(declared, `${operation.pointer}/responses/${escapePointer(String(answer.status))}`);
        const headers = lowerCaseKeys(answer.headers);
        for (const [name, header] of Object.entries((spec.headers ?? {}) as Record<string, unknown>)) {
            const { value } = this.#resolve(header, '');
            if (value.required === true) assert.ok(headers[name.toLowerCase()] !== undefined, `${what} without the ${name} header the document requires.`);
        }
        const content = spec.content as Record<string, { schema?: unknown }> | undefined;
        // A response the Functions host may answer itself, before the app runs: then it has no body at all.
        if (spec['x-host-answers-without-body'] === true && answer.body === '' && headers['content-type'] === undefined) return undefined;
        if (content === undefined) {
            assert.equal(answer.body, '', `${what} with a body, but the document says it has none.`);
            return undefined;
        }
        const type = (headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
        assert.ok(Object.hasOwn(content, type), `${what} with Content-Type "${headers['content-type'] ?? ''}"; the document lists ${Object.keys(content).join(', ')}.`);
        if (!/(^application\/json$|\+json$)/.test(type)) return answer.body;
        let body: unknown;
        try {
            body = JSON.parse(answer.body) as unknown;
        } catch {
            assert.fail(`${what} with a body that is not JSON: ${answer.body.slice(0, 300)}`);
        }
        const validate = this.#validator(`${pointer}/content/${escapePointer(type)}/schema`);
        assert.ok(
            validate(body),
            `${what} with a body that does not match the document: ${this.#ajv.errorsText(validate.errors, { separator: '; ' })}. Body: ${answer.body.slice(0, 500)}`,
        );
        return body;
    }

    /** The document's operation for a request, by the route template it matches; undefined when it has none. */
    operationOf(method: string, url: string): { template: string; operationId: string } | undefined {
        const match = this.#match(method.toLowerCase(), new URL(url, 'http://localhost').pathname);
        return match?.operation === undefined ? undefined : { template: match.template, operationId: String(match.operation.operationId) };
    }

    #operation(method: string, pathname: string): Operation {
        assert.ok(pathname.toLowerCase().startsWith(`${this.#serverPath.toLowerCase()}/`), `${pathname} is not below the API's root ${this.#serverPath}.`);
        const match = this.#match(method, pathname);
        assert.ok(match !== undefined, `${method.toUpperCase()} ${pathname.slice(this.#serverPath.length)}: no path of the OpenAPI document matches.`);
        const { template, operation } = match;
        assert.ok(operation !== undefined, `${method.toUpperCase()} ${template}: the OpenAPI document has no such operation.`);
        return { template, pointer: `#/paths/${escapePointer(template)}/${method}`, responses: operation.responses as Record<string, unknown> };
    }

    /**
     * The path of the document a request below the API's root matches (the most specific first) and its operation
     * for the method; failing that, an operation whose last parameter takes the rest of the path.
     */
    #match(method: string, pathname: string): { template: string; operation?: Json } | undefined {
        if (!pathname.toLowerCase().startsWith(`${this.#serverPath.toLowerCase()}/`)) return undefined;
        const apiPath = pathname.slice(this.#serverPath.length);
        const operationAt = (template: string) => (this.document.paths[template] as Json)[method] as Json | undefined;
        const route = this.#routes.find((candidate) => candidate.pattern.test(apiPath));
        const operation = route === undefined ? undefined : operationAt(route.template);
        if (route !== undefined && operation !== undefined) return { template: route.template, operation };
        const rest = this.#restOfPath.find((candidate) => candidate.method === method && candidate.pattern.test(apiPath));
        if (rest !== undefined) return { template: rest.template, operation: operationAt(rest.template) as Json };
        return route === undefined ? undefined : { template: route.template };
    }

    /** Follows a `$ref` to components; returns the object and its JSON pointer in the document. */
    #resolve(value: unknown, pointer: string): { value: Json; pointer: string } {
        const reference = (value as { $ref?: unknown }).$ref;
        if (typeof reference !== 'string') return { value: value as Json, pointer };
        const target = reference
            .replace(/^#\//, '')
            .split('/')
            .map(unescapePointer)
            .reduce<unknown>((node, key) => (node as Json | undefined)?.[key], this.document);
        assert.ok(target !== undefined, `The OpenAPI document refers to ${reference}, which it does not hold.`);
        return this.#resolve(target, reference);
    }

    #validator(pointer: string): ValidateFunction {
        let validate = this.#validators.get(pointer);
        if (validate === undefined) {
            validate = this.#ajv.compile({ $ref: `${DOCUMENT_ID}${pointer}` });
            this.#validators.set(pointer, validate);
        }
        return validate;
    }
}

/**
 * The host's answer to a request no function's route takes: 404, as the Functions host answers it (Azure: no body;
 * the local host: a problem that says no function answers the method and path).
 */
function isHostRouteMiss(answer: ObservedAnswer): boolean {
    if (answer.status !== 404) return false;
    if (answer.body === '') return true;
    try {
        return /^No function answers /.test(String((JSON.parse(answer.body) as { detail?: unknown }).detail));
    } catch {
        return false;
    }
}

function lowerCaseKeys(headers: ObservedAnswer['headers']): Record<string, string> {
    return Object.fromEntries(Object.entries(headers).flatMap(([name, value]) => (value === undefined ? [] : [[name.toLowerCase(), String(value)]])));
}

function escapePointer(segment: string): string {
    return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function unescapePointer(segment: string): string {
    return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

function escapeRegExp(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

let appChecker: OpenApiChecker | undefined;

/** The checker of the app's document with its API at /api, made once per test process. */
export function appOpenApi(): OpenApiChecker {
    appChecker ??= new OpenApiChecker();
    return appChecker;
}

/**
 * fetch for requests to the app: every answer is checked against the OpenAPI document before the caller sees it.
 *
 * @example
 * const response = await checkedFetch(`${host.baseUrl}/calls?active=true`);
 */
export const checkedFetch: typeof fetch = (input, init) => appOpenApi().checkingFetch(fetch)(input, init);
