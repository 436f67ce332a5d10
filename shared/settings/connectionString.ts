// Storage connection strings (`Name=value;...`), read here and nowhere else: by the settings check at start-up,
// the table client and the command line's messages. The rules are the ones `TableClient.fromConnectionString`
// applies, so a string accepted at start-up is one the table client can use at the first request.

/** Where `UseDevelopmentStorage=true` points: the storage emulator's services on their default ports. */
const DEVELOPMENT_STORAGE_ENDPOINTS = {
    table: 'http://127.0.0.1:10002/devstoreaccount1',
    queue: 'http://127.0.0.1:10001/devstoreaccount1',
    blob: 'http://127.0.0.1:10000/devstoreaccount1',
} as const;

export type StorageService = keyof typeof DEVELOPMENT_STORAGE_ENDPOINTS;

/**
 * The parts of a connection string: names in lower case (they compare case-insensitively), values as written
 * (a key or a SAS may contain `=`).
 *
 * @example
 * connectionStringParts('AccountName=acct;AccountKey=a2V5==').get('accountkey') // 'a2V5=='
 */
export function connectionStringParts(connectionString: string): ReadonlyMap<string, string> {
    const parts = new Map<string, string>();
    for (const element of connectionString.split(';')) {
        const part = element.trim();
        const at = part.indexOf('=');
        if (at > 0 && !parts.has(part.slice(0, at).toLowerCase())) {
            parts.set(part.slice(0, at).toLowerCase(), part.slice(at + 1));
        }
    }
    return parts;
}

/**
 * The Table service a connection string names, without a trailing slash; undefined when it names none the table
 * client can use: `UseDevelopmentStorage=true`; `DefaultEndpointsProtocol`, `AccountName`, `AccountKey` and
 * `TableEndpoint` or `EndpointSuffix`; or `TableEndpoint` and `SharedAccessSignature`.
 *
 * @example
 * tableEndpointOf('DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=a2V5;EndpointSuffix=core.windows.net')
 * // 'https://acct.table.core.windows.net'
 */
export function tableEndpointOf(connectionString: string): string | undefined {
    return serviceEndpointOf(connectionString, 'table');
}

/** The same rules for another service of the account (`QueueEndpoint`, `<account>.queue.<suffix>`). */
export function serviceEndpointOf(connectionString: string, service: StorageService): string | undefined {
    const parts = connectionStringParts(connectionString);
    if (parts.get('usedevelopmentstorage')?.toLowerCase() === 'true') {
        return DEVELOPMENT_STORAGE_ENDPOINTS[service];
    }
    const endpoint = parts.get(`${service}endpoint`)?.replace(/\/$/, '');
    if (parts.has('defaultendpointsprotocol') && parts.has('accountkey')) {
        const accountName = parts.get('accountname');
        if (!accountName || !parts.get('accountkey')) return undefined;
        if (endpoint) return webUrl(endpoint);
        const protocol = parts.get('defaultendpointsprotocol')?.toLowerCase();
        const suffix = parts.get('endpointsuffix');
        return (protocol === 'https' || protocol === 'http') && suffix ? `${protocol}://${accountName}.${service}.${suffix}` : undefined;
    }
    return parts.get('sharedaccesssignature') && endpoint ? webUrl(endpoint) : undefined;
}

function webUrl(value: string): string | undefined {
    return URL.canParse(value) && /^https?:$/.test(new URL(value).protocol) ? value : undefined;
}
