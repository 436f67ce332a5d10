// GET /api/console/assets/{name}: the console's script, style sheet and icon. They hold no data and no
// secret, so they are anonymous: the browser fetches them without the function key.

import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { appConfig } from '../shared/settings/config';
import { consoleAssets } from '../shared/http/consoleAssets';
import { problemAnswer } from '../shared/problem';

// Settings are validated when the app loads, so a bad one stops start-up instead of failing requests.
appConfig();

app.http('consoleAssets', {
    methods: ['GET'],
    route: 'console/assets/{name}',
    authLevel: 'anonymous',
    handler: consoleAsset,
});

export async function consoleAsset(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    try {
        return consoleAssets().asset(request.params.name ?? '', request.headers.get('accept-encoding'));
    } catch (err) {
        return problemAnswer(err, context, context.invocationId);
    }
}
