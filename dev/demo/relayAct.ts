// Act three of `npm run demo`: the app in front of a bot. A call rings through the app's callback; the app relays it
// to the example bot (dev/exampleBot) within milliseconds, signed, and the bot answers it through Graph; the call
// connects. Then the bot goes down, the call is hung up, and its notifications wait in the app; when the bot is back,
// the relay's retry delivers them in order.

import { DemoError, describeAnswer, jsonRequest } from './client';
import type { DemoSession } from './session';

/** How long the bot stays down: past the relay's first retry (5 s), back before its second (15 s after that). */
const OUTAGE_SECONDS = 12;

interface BotReceived {
    received: Array<{ at: string; webhookId: string; attempt: number; notifications: string[] }>;
    answered: string[];
}

/** Plays act three, numbering its steps from 12; the call's id. */
export async function showRelay(session: DemoSession, botUrl: string, say: (line?: string) => void): Promise<string> {
    const bot = new URL(botUrl).origin;
    const botHint = `The example bot is not answering at ${bot}: npm start runs it (its Ready block names its port; --bot tells the demo).`;
    const received = async (callId: string): Promise<BotReceived['received']> => {
        const answer = await jsonRequest('GET', `${bot}/_control/received`, { whenUnreachable: botHint });
        if (answer.status !== 200) throw new DemoError(`${bot}/_control/received answered ${describeAnswer(answer)}`);
        return (answer.json as BotReceived).received.filter((entry) => entry.webhookId.startsWith(`${callId}/`));
    };
    await received('-');

    const rang = Date.now();
    const callId = await session.ringIncomingCall(`${session.targets.api}/callback`);
    say(`12. A call rings: Graph notifies the app's callback, ${session.targets.api}/callback, of incoming call ${callId}.`);
    const connected = await session.waitForCall(callId, 'established', (summary) => summary.callState === 'established' && (summary.relayPending ?? 0) === 0);
    const answer = await session.graphRequest(callId, '/answer');
    say(`13. The app stored it and relayed it to the bot before answering Graph; the bot checked the signature with`);
    say(`    standardwebhooks and answered the call through Graph: POST .../calls/${callId}/answer -> ${answer?.status ?? '?'}`);
    say(
        `    (${answer === undefined ? '?' : `${((new Date(answer.at).getTime() - rang) / 1000).toFixed(2)} s`} after it rang; Graph gives a bot 15 s). The call is ${connected.callState}.`,
    );
    say(`14. What the bot received, through the app:`);
    for (const entry of await received(callId)) say(`      ${entry.webhookId.padEnd(48)} attempt ${entry.attempt}  ${entry.notifications.join(', ')}`);

    say();
    const outage = await jsonRequest('POST', `${bot}/_control/outage`, { body: { seconds: OUTAGE_SECONDS }, whenUnreachable: botHint });
    if (outage.status !== 202) throw new DemoError(`The bot refused the outage: ${describeAnswer(outage)}`);
    say(`15. The bot is down for ${OUTAGE_SECONDS} s (it refuses connections). The call is hung up through the app meanwhile.`);
    const down = Date.now();
    await session.hangUp(callId);
    const waiting = await session.waitForCall(callId, 'terminated, its end waiting for the bot', (s) => s.callState === 'terminated' && (s.relayPending ?? 0) >= 2);
    say(`16. The app recorded the end; Graph got its 202s at once. The relay holds ${waiting.relayPending} notifications for the bot:`);
    say(`      delivered through ${waiting.relayedThrough}, last error "${waiting.relayLastError ?? '-'}", next attempt ${waiting.relayNextAttemptAt ?? '-'}`);
    const caughtUp = await session.waitForCall(callId, 'delivered to the bot', (s) => (s.relayPending ?? 0) === 0, (OUTAGE_SECONDS + 25) * 1000);
    say(`17. The bot is back; the relay's retry (a queue message, visible when it was due) delivered them in order,`);
    say(`    ${((Date.now() - down) / 1000).toFixed(1)} s after the outage began. Delivered through ${caughtUp.relayedThrough} of ${caughtUp.eventCount}:`);
    for (const entry of (await received(callId)).slice(-2)) say(`      ${entry.webhookId.padEnd(48)} attempt ${entry.attempt}  ${entry.notifications.join(', ')}`);
    return callId;
}
