// GET /api/console: the operator console, a page for people on call (calls, timelines, hang-up). It holds
// no data; its script reads the API with the function key the page was opened with.

import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { appConfig } from '../shared/settings/config';
import { consoleAssets } from '../shared/http/consoleAssets';
import { problemAnswer } from '../shared/problem';

// Settings are validated when the app loads, so a bad one stops start-up instead of failing requests.
appConfig();

app.http('console', {
    methods: ['GET'],
    route: 'console',
    authLevel: 'function',
    handler: consolePage,
});

export async function consolePage(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    try {
        // The path only: the query holds the function key, which goes nowhere but the host's check.
        return consoleAssets().page(new URL(request.url).pathname, request.headers.get('accept-encoding'));
    } catch (err) {
        return problemAnswer(err, context, context.invocationId);
    }
}
