// `calls events`: the call-ended events on their queue, read with the app's own settings (CALL_EVENTS_QUEUE of
// CallEventsStorage or AzureWebJobsStorage). It peeks unless told to consume: in production the queue has
// consumers (billing, analytics, the bot), and a command someone runs to look must not take their messages.

import { RECORD_AVAILABLE_TYPE } from '../shared/lifecycle/callEvents';
import { callSummaryFromJson } from '../shared/query/callJson';
import { loadCallEventsConfig, type CallEventsConfig } from '../shared/settings/config';
import { createQueueClient } from '../shared/settings/queueClient';
import { StorageUnavailableError } from '../shared/record/storageErrors';
import type { CallsCommand } from './arguments';
import { causeOf, CliError, EXIT } from './cliError';
import { readCallEvents, QUEUE_PAGE, type QueuedCallEvent } from './readCallEvents';
import { describeQueue, fromLocalRun, loadCliConfig } from './settings';
import { formatCallEnded, formatCallEndedHeading } from './timeline';

type EventsCommand = Extract<CallsCommand, { name: 'events' }>;

/** Prints the events as they are read; Ctrl-C ends a `--follow` after the request in progress. */
export async function showCallEvents(command: EventsCommand): Promise<void> {
    const events = eventsSettings();
    const how = command.consume ? `consuming ${describeQueue(events)}: each event is deleted once printed` : `peeking at ${describeQueue(events)}: the messages stay there`;
    process.stderr.write(`calls events: ${how}${command.follow ? '; Ctrl-C stops' : ''}.\n`);

    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGINT', onSignal);
    const shownIds = new Set<string>();
    let printed = 0;
    const print = (message: QueuedCallEvent) => {
        const { event } = message;
        if (event === undefined) {
            const queued = message.insertedOn.toISOString();
            process.stderr.write(
                `calls events: message ${message.messageId} (queued ${queued}) is not a call-ended event: ${message.problem ?? 'unknown'}; it stays on the queue.\n`,
            );
            return;
        }
        if (command.json) {
            process.stdout.write(`${JSON.stringify(event)}\n`);
        } else {
            if (printed === 0) process.stdout.write(formatCallEndedHeading());
            // The same call's message may come more than once, always with the same id: consumers drop repeats by it.
            const repeat = shownIds.has(event.id) ? 'repeat: same id as above' : undefined;
            // Graph's call record, fetched after the call: its message says so beside the call's end.
            const record = event.type === RECORD_AVAILABLE_TYPE ? `call record v${event.data.callRecordVersion ?? '?'}, quality ${event.data.quality ?? 'unknown'}` : undefined;
            const note = [record, repeat].filter((part) => part !== undefined).join('; ') || undefined;
            process.stdout.write(formatCallEnded(event.time, callSummaryFromJson(event.data), note));
        }
        shownIds.add(event.id);
        printed += 1;
    };
    try {
        await readCallEvents(createQueueClient(events), {
            consume: command.consume,
            follow: command.follow,
            signal: stop.signal,
            onMessage: print,
            onHidden: (count) =>
                process.stderr.write(
                    `calls events: the queue holds about ${count} messages, and a peek shows only the oldest ${QUEUE_PAGE}; ` +
                        'calls events --consume reads them all (and takes them off the queue).\n',
                ),
        });
    } catch (err) {
        if (err instanceof StorageUnavailableError) throw new CliError(EXIT.failed, `Cannot read ${describeQueue(events)}: ${causeOf(err) ?? err.message}`);
        throw err;
    } finally {
        process.off('SIGINT', onSignal);
    }
    if (printed === 0 && !command.json && !command.follow) process.stdout.write(`No call-ended events on queue ${events.queueName}.\n`);
}

function eventsSettings(): CallEventsConfig {
    const { config: events, settings } = loadCliConfig(loadCallEventsConfig);
    if (events === undefined) {
        throw new CliError(EXIT.usage, "Call-ended events are off: CALL_EVENTS_QUEUE is set empty, so the app queues none. Set it to the queue's name (default call-events).");
    }
    const note = events.kind === 'connectionString' ? fromLocalRun(settings, events.setting, events.connectionString) : undefined;
    if (note !== undefined) process.stderr.write(`calls: ${note}.\n`);
    return events;
}
