// Which registered function answers a request: the HTTP triggers' routes below the route prefix, tried in
// ASP.NET precedence order with the method as a constraint, as the Azure host's router does; nothing when none fits.

import type { RegisteredFunction } from './coreApi';
import type { RpcBindingInfo } from './coreTypes';
import { HostStartupError } from './errors';
import { comparePrecedence, matchRouteTemplate, parseRouteTemplate, type RouteTemplate, type RouteValues } from './routeTemplate';

export interface HttpRoute {
    function: RegisteredFunction;
    /** Upper-case methods, or null when the trigger accepts every method. */
    methods: readonly string[] | null;
    /** `anonymous`, `function`, `admin`, ...: what Azure would require; not enforced locally. */
    authLevel: string;
    /** The route as registered (the function name when none was given), without the prefix. */
    route: string;
    /** The full template, route prefix included. */
    template: RouteTemplate;
}

export interface RouteResolution {
    route: HttpRoute;
    params: RouteValues;
}

/** The HTTP-triggered functions among the registered ones, with their full route templates. */
export function httpRoutesOf(functions: Iterable<RegisteredFunction>, routePrefix: string): HttpRoute[] {
    const routes: HttpRoute[] = [];
    for (const fn of functions) {
        const trigger = httpTriggerOf(fn);
        if (trigger === undefined) continue;
        const route = typeof trigger.route === 'string' && trigger.route.trim() !== '' ? trigger.route : fn.metadata.name;
        const declaredMethods = Array.isArray(trigger.methods) ? trigger.methods.map((m) => String(m).toUpperCase()) : [];
        const methods = declaredMethods.length > 0 ? declaredMethods : null;
        const authLevel = typeof trigger.authLevel === 'string' ? trigger.authLevel.toLowerCase() : 'anonymous';
        let template: RouteTemplate;
        try {
            template = parseRouteTemplate(routePrefix === '' ? route : `${routePrefix}/${route.replace(/^\/+/, '')}`);
        } catch (err) {
            throw new HostStartupError(`Function "${fn.metadata.name}": ${(err as Error).message}`);
        }
        routes.push({ function: fn, methods, authLevel, route: route.replace(/^\/+/, ''), template });
    }
    return routes;
}

export function httpTriggerOf(fn: RegisteredFunction): RpcBindingInfo | undefined {
    return Object.values(fn.metadata.bindings).find((binding) => binding.direction === 'in' && binding.type?.toLowerCase() === 'httptrigger');
}

export class RouteTable {
    /** In the order they are tried. */
    readonly routes: readonly HttpRoute[];

    constructor(routes: readonly HttpRoute[]) {
        // Array.prototype.sort is stable: equally specific routes keep their registration order.
        this.routes = [...routes].sort((a, b) => comparePrecedence(a.template, b.template));
        rejectConflicts(this.routes);
    }

    /**
     * The first route whose template and method both match: a method is a route constraint like any other, so a
     * route with other methods does not match and the next one is tried (as ASP.NET's RouteCollection does).
     *
     * @param rawPath the request path as sent, still percent-encoded, without the query
     */
    resolve(method: string, rawPath: string): RouteResolution | undefined {
        const segments = splitRawPath(rawPath);
        for (const route of this.routes) {
            if (route.methods !== null && !route.methods.includes(method.toUpperCase())) continue;
            const params = matchRouteTemplate(route.template, segments);
            if (params !== undefined) return { route, params };
        }
        return undefined;
    }
}

/** Path segments as sent; one trailing slash is ignored, as ASP.NET routing does. */
function splitRawPath(rawPath: string): string[] {
    const trimmed = rawPath.replace(/^\//, '').replace(/\/$/, '');
    return trimmed === '' ? [] : trimmed.split('/');
}

/** Two functions on the same template with a common method: Azure refuses the second one, so do we. */
function rejectConflicts(routes: readonly HttpRoute[]): void {
    routes.forEach((route, index) => {
        const earlier = routes
            .slice(0, index)
            .find(
                (other) =>
                    other.template.text.toLowerCase() === route.template.text.toLowerCase() &&
                    (other.methods === null || route.methods === null || other.methods.some((m) => route.methods?.includes(m))),
            );
        if (earlier !== undefined) {
            throw new HostStartupError(
                `Functions "${earlier.function.metadata.name}" and "${route.function.metadata.name}" both answer ` + `the same method on the route "${route.template.text}".`,
            );
        }
    });
}
