// The minimal function: the bare writer's work as an HTTP function on @azure/functions, run by the same
// local host as the app (see benchFunctionApp.ts). Between it and the bare writer lies the cost of the
// Functions layer; between it and the app, the cost of what the app does (token check, parsing,
// redelivery check, logging). Like a function file of the app, loading it registers the function.

import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { TableClient } from '@azure/data-tables';
import { MinimalWriter } from './minimalWrite';

const writer = new MinimalWriter(TableClient.fromConnectionString(process.env.CallHistoryStorage ?? '', process.env.CALL_HISTORY_TABLE ?? '', { allowInsecureConnection: true }));

app.http('callNotifications', {
    methods: ['POST'],
    route: 'callback',
    authLevel: 'anonymous',
    handler: async (request: HttpRequest): Promise<HttpResponseInit> => {
        const accepted = await writer.writeBody(await request.text());
        return { status: 202, jsonBody: { accepted, duplicates: 0, rejected: 0 } };
    },
});
