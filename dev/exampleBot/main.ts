// Runs the example bot as a process (what `npm start` does):
// `node dist/dev/exampleBot/main.js --secret whsec_... --graph https://localhost:7443/v1.0 --app-callback http://localhost:7071/api/callback`.
// The bot's Graph identity comes from AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET and AZURE_AUTHORITY_HOST,
// as the app's does; a local Graph stand-in's CA comes from NODE_EXTRA_CA_CERTS.

import { parseArgs } from 'node:util';
import { startExampleBot } from './exampleBot';

const USAGE = `Usage: node dist/dev/exampleBot/main.js --secret whsec_... --graph <Graph root> --app-callback <the app's /api/callback> [--port 3978]
  The bot's Graph identity: AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET (and AZURE_AUTHORITY_HOST for a stand-in).`;

async function main(): Promise<void> {
    const { values } = parseArgs({
        options: { port: { type: 'string' }, secret: { type: 'string' }, graph: { type: 'string' }, 'app-callback': { type: 'string' }, help: { type: 'boolean' } },
    });
    if (values.help === true) {
        console.log(USAGE);
        return;
    }
    const { AZURE_TENANT_ID: tenantId, AZURE_CLIENT_ID: clientId, AZURE_CLIENT_SECRET: clientSecret, AZURE_AUTHORITY_HOST: authorityHost } = process.env;
    if (values.secret === undefined || values.graph === undefined || values['app-callback'] === undefined || !tenantId || !clientId || !clientSecret) {
        throw new Error(USAGE);
    }
    const port = values.port === undefined ? 3978 : Number(values.port);
    const bot = await startExampleBot({
        port,
        secret: values.secret,
        graph: { baseUrl: values.graph.replace(/\/+$/, ''), tenantId, clientId, clientSecret, ...(authorityHost ? { authorityHost } : {}) },
        appCallbackUrl: values['app-callback'],
        log: (line) => console.log(line),
    });
    console.log(`Example bot listening on ${bot.url}`);
    const stop = (): void => {
        bot.stop().then(
            () => process.exit(0),
            () => process.exit(1),
        );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
});
