// The principal App Service Authentication puts on a request it signed in: `x-ms-client-principal` (base64 JSON
// `{auth_typ, claims: [{typ, val}], name_typ, role_typ}`) and `x-ms-client-principal-id`, `-name` and `-idp`
// beside it. The platform's claim mapping may rename a claim to a long URI (`tid` becomes
// http://schemas.microsoft.com/identity/claims/tenantid), so every claim is looked for under both names.
// Nothing here decides whether the headers can be trusted: authorize.ts reads them only when the platform says
// it put them there.

/** A person or an application, as Entra signed it in. */
interface ClientPrincipal {
    kind: 'user' | 'application';
    /** A person's Entra object id; an application's application (client) id. */
    id: string;
    /** A person's display name, else their UPN; an application's display name when its token names it. */
    name?: string;
    tenantId?: string;
    /** The role claims' values as the token carried them, known to this app or not. */
    roles: string[];
}

/** The part of a request's headers this needs (`Headers` and `@azure/functions`' request headers are ones). */
export interface HeaderReader {
    get(name: string): string | null;
}

/** The long role claim type of .NET's claim mapping, which Easy Auth may use for `roles` (and names in `role_typ`). */
export const LONG_ROLE_CLAIM = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role';

/** Claim types by what they say, short name first. */
const CLAIMS = {
    objectId: ['oid', 'http://schemas.microsoft.com/identity/claims/objectidentifier'],
    tenantId: ['tid', 'http://schemas.microsoft.com/identity/claims/tenantid'],
    displayName: ['name'],
    userName: [
        'preferred_username',
        'upn',
        'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn',
        'unique_name',
        'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
        'email',
        'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
    ],
    applicationId: ['appid', 'azp'],
    applicationName: ['app_displayname'],
    identityType: ['idtyp'],
    scope: ['scp', 'http://schemas.microsoft.com/identity/claims/scope'],
    role: ['roles', LONG_ROLE_CLAIM],
} as const;

export type PrincipalReading = { kind: 'none' } | { kind: 'unreadable'; reason: string } | { kind: 'principal'; principal: ClientPrincipal };

/**
 * The principal the headers describe; `none` when there is no `x-ms-client-principal`, `unreadable` when it is
 * not what App Service Authentication writes.
 *
 * @example
 * readClientPrincipal(request.headers) // { kind: 'principal', principal: { kind: 'user', id: '5f1c...', name: 'Ada Lovelace', roles: ['CallRecord.Read'] } }
 */
export function readClientPrincipal(headers: HeaderReader): PrincipalReading {
    const encoded = headers.get('x-ms-client-principal');
    if (encoded === null || encoded.trim() === '') return { kind: 'none' };
    const claims = decodeClaims(encoded);
    if (typeof claims === 'string') return { kind: 'unreadable', reason: claims };
    const all = (types: readonly string[]) => claims.values(types);
    const first = (types: readonly string[]) => all(types)[0];
    const identityType = first(CLAIMS.identityType)?.toLowerCase();
    const personal = [CLAIMS.scope, CLAIMS.displayName, CLAIMS.userName].some((types) => first(types) !== undefined);
    const applicationId = first(CLAIMS.applicationId);
    // An app-only token says `idtyp: app` when the registration asks for it; otherwise it is the token with an
    // application id and nothing about a person (no scope, no name): a client-credentials token.
    const kind = identityType === 'app' || (identityType !== 'user' && !personal && applicationId !== undefined) ? 'application' : 'user';
    const headerId = nonEmpty(headers.get('x-ms-client-principal-id'));
    const id = kind === 'application' ? (applicationId ?? headerId) : (first(CLAIMS.objectId) ?? headerId);
    if (id === undefined) return { kind: 'unreadable', reason: `the ${kind === 'application' ? 'application' : 'person'} it names has no id` };
    const name =
        kind === 'application' ? first(CLAIMS.applicationName) : (first(CLAIMS.displayName) ?? first(CLAIMS.userName) ?? nonEmpty(headers.get('x-ms-client-principal-name')));
    const tenantId = first(CLAIMS.tenantId);
    const roles = [...new Set(all([...CLAIMS.role, ...claims.roleTypes]))];
    return { kind: 'principal', principal: { kind, id, ...(name === undefined ? {} : { name }), ...(tenantId === undefined ? {} : { tenantId }), roles } };
}

interface Claims {
    /** Values of the claims of any of `types`, in order, compared without regard to case. */
    values(types: readonly string[]): string[];
    /** The role claim type the principal itself names (`role_typ`), if any. */
    roleTypes: string[];
}

/** The claims of the header, or why it cannot be read. */
function decodeClaims(encoded: string): Claims | string {
    let document: unknown;
    try {
        document = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
    } catch {
        return 'it is not base64-encoded JSON';
    }
    if (typeof document !== 'object' || document === null || !Array.isArray((document as { claims?: unknown }).claims)) {
        return 'it is not an App Service client principal (no claims array)';
    }
    const { claims, role_typ: roleType } = document as { claims: unknown[]; role_typ?: unknown };
    const pairs: Array<[string, string]> = [];
    for (const claim of claims) {
        const { typ, val } = (claim ?? {}) as { typ?: unknown; val?: unknown };
        if (typeof typ !== 'string') continue;
        // A value is a string; a number or boolean is kept as its text, anything else is not a claim value.
        if (typeof val === 'string' || typeof val === 'number' || typeof val === 'boolean') pairs.push([typ.toLowerCase(), String(val)]);
    }
    return {
        values: (types) => {
            const wanted = new Set(types.map((type) => type.toLowerCase()));
            return pairs.filter(([type, value]) => wanted.has(type) && value.trim() !== '').map(([, value]) => value.trim());
        },
        roleTypes: typeof roleType === 'string' && roleType.trim() !== '' ? [roleType.trim()] : [],
    };
}

function nonEmpty(value: string | null): string | undefined {
    return value === null || value.trim() === '' ? undefined : value.trim();
}
