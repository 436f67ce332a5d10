// jose, loaded on the first callback rather than when the app starts: it is a tenth of the cold start.

export type Jose = typeof import('jose');

let loaded: Jose | undefined;

export function loadJose(): Jose {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded ??= require('jose') as Jose;
    return loaded;
}
