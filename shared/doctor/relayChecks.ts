// The relay to the bot (RELAY_URL): its retry queue reachable the way the app reaches it, and the bot accepting a
// signed test delivery, signed as every delivery is (the relay's own signer, every secret of RELAY_SECRET). The
// test delivery is Graph's shape with no notification (`{"value":[]}`) and a webhook-id a bot can tell from a
// call's, `doctor/<unix ms>` (docs/relay.md asks bots to answer it 2xx and do nothing).

import { storageReason } from '../record/storageErrors';
import { postToBot } from '../relay/botEndpoint';
import { botStatusOf } from '../relay/relayTelemetry';
import { signWebhook } from '../relay/webhookSignature';
import { createQueueClient } from '../settings/queueClient';
import { CHECK_TIMEOUT_MS, firstLine, withSettings, type DoctorCheck } from './doctorCheck';

/** The start of the webhook-id of a test delivery. */
const TEST_DELIVERY_PREFIX = 'doctor/';

export const relayQueueCheck: DoctorCheck = {
    id: 'relay-queue',
    title: "the relay's retry queue",
    run: (context) =>
        withSettings(context, async ({ relay }) => {
            if (relay === undefined) return { status: 'skip', detail: 'The relay is off (RELAY_URL is not set).' };
            const { queue } = relay;
            const where = `queue ${queue.queueName} at ${queue.kind === 'identity' ? queue.queueServiceUri : queue.queueEndpoint} (${queue.setting})`;
            try {
                await createQueueClient(queue).getProperties({ abortSignal: AbortSignal.timeout(CHECK_TIMEOUT_MS) });
                return { status: 'ok', detail: `${where} answers: deliveries the bot missed wait there for their retry.` };
            } catch (err) {
                const status = (err as { statusCode?: number }).statusCode;
                if (status === 404) return { status: 'ok', detail: `${where} does not exist yet; the app creates it on the first retry.` };
                return {
                    status: 'fail',
                    detail: `${where} ${status === 401 || status === 403 ? 'refuses the app' : 'cannot be reached'}: ${status === undefined ? firstLine(err) : storageReason(err)}. A delivery the bot misses then fails the callback (503) until it can be queued.`,
                    action:
                        queue.kind === 'identity'
                            ? 'Give the identity the Storage Queue Data Contributor role on the storage account (the template does), and check AzureWebJobsStorage__queueServiceUri.'
                            : 'Check the connection string in AzureWebJobsStorage.',
                };
            }
        }),
};

export const relayEndpointCheck: DoctorCheck = {
    id: 'relay-endpoint',
    title: 'the bot behind the relay',
    run: (context) =>
        withSettings(context, async ({ relay }) => {
            if (relay === undefined) return { status: 'skip', detail: 'The relay is off (RELAY_URL is not set): the bot hears nothing of the calls the app stores.' };
            const id = `${TEST_DELIVERY_PREFIX}${Date.now()}`;
            const body = JSON.stringify({ value: [] });
            const started = performance.now();
            const answer = await postToBot(relay.url, body, { ...signWebhook(id, new Date(), body, relay.secrets) }, CHECK_TIMEOUT_MS);
            const ms = Math.round(performance.now() - started);
            const signedWith = `${relay.secrets.length} secret${relay.secrets.length === 1 ? '' : 's'} of RELAY_SECRET`;
            if (answer.delivered) {
                return {
                    status: 'ok',
                    detail: `${relay.url} accepted a test delivery signed with ${signedWith} (webhook-id ${id}, no notification): HTTP ${answer.status} in ${ms} ms.`,
                };
            }
            const said = `${relay.url} answered a test delivery (webhook-id ${id}) with ${answer.error}`;
            switch (botStatusOf(answer.status)) {
                case '401':
                case '403':
                    return {
                        status: 'fail',
                        detail: `${said}: the bot refuses the relay's signature (${signedWith}), so it refuses every notification too.`,
                        action: 'Give the bot the secret of RELAY_SECRET (whsec_...); while rotating, RELAY_SECRET holds the old and the new one and the app signs with both (docs/relay.md).',
                    };
                case 'no_answer':
                    return {
                        status: 'fail',
                        detail: `${said}: nothing reaches the bot, so deliveries pile up until they are dead-lettered after RELAY_MAX_AGE_HOURS.`,
                        action: 'Check RELAY_URL, that the bot runs, and that this machine (or the app, with calls doctor --app) can reach it: DNS, firewall, TLS certificate.',
                    };
                case '3xx':
                    return { status: 'fail', detail: `${said}.`, action: 'Set RELAY_URL to the address the bot answers at itself: the relay never follows a redirect.' };
                default:
                    return {
                        status: 'fail',
                        detail: `${said}.`,
                        action: `The bot must answer 2xx to every request it verifies; to one whose webhook-id starts with ${TEST_DELIVERY_PREFIX} (no notification), it has nothing else to do (docs/relay.md).`,
                    };
            }
        }),
};
