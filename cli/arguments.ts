// The command line's grammar: commands, their options, and the help text. Values are checked with the
// same rules as the HTTP API's query parameters, so both refuse the same inputs with the same words.

import { requestReason } from '../shared/access/requestReason';
import { requireCallId } from '../shared/callId';
import { BadRequestError } from '../shared/errors';
import { parseCallListOptions, type CallListOptions } from '../shared/query/queryOptions';
import { CliError, EXIT } from './cliError';

export type CallsCommand =
    /** `asked`: --help or `help`; otherwise no command was given, which is a usage error. */
    | { name: 'help'; asked: boolean }
    | { name: 'show'; callId: string; json: boolean }
    | { name: 'history'; callId: string; json: boolean }
    | { name: 'participants'; callId: string; json: boolean }
    | {
          name: 'list';
          options: CallListOptions;
          json: boolean;
          /** The filters as options to repeat, times made absolute, so a next page asks exactly the same query. */
          filters: Array<[option: string, value?: string]>;
      }
    | { name: 'unrouted'; json: boolean }
    | { name: 'reindex'; restart: boolean }
    | { name: 'purge'; olderThanDays: number; dryRun: boolean; json: boolean }
    | { name: 'events'; follow: boolean; consume: boolean; json: boolean }
    /** `app`: the deployed app's base URL, to ask it to run the checks itself. */
    | { name: 'doctor'; json: boolean; app?: string }
    | { name: 'relayStatus'; callId: string; json: boolean }
    | { name: 'relayReplay'; callId: string; fromSequence: number; reason?: string; json: boolean };

export const HELP = `Usage: calls <command> [options]

Reads the call record (the CallHistory table) and the call-ended events with the app's own settings:
local.settings.json "Values" in the current directory, overridden by the environment (CallHistoryStorage
or AzureWebJobsStorage, CALL_HISTORY_TABLE; CALL_EVENTS_QUEUE and CallEventsStorage). While \`npm start\`
runs from this directory, the storage it gave the app (say, with --azurite-port) is read from its run file,
.local-run.json, between the two.

Commands:
  show <callId>       the call's summary: state, reason, result, counts, times
  history <callId>    the call's whole history as a timeline, in sequence order
  participants <callId>  everyone the call had (from Graph's participant notifications): who, when
                      they joined and left, muted or in the lobby; PARTICIPANT_DETAILS=ids hides names
  list                calls, newest first by when they started (read from the call index)
      --active              only calls that have not ended
      --ended               only calls that have ended (terminated, or deleted by Graph)
      --state S             only calls in state S now (e.g. established, terminated)
      --since T             only calls that started at or after T
      --until T             only calls that started before T
                            T: an ISO 8601 date or date-time with zone (2026-11-29, 2026-11-29T10:00:00Z)
                            or a time back from now (30m, 2h, 7d), fixed when the command starts
      --relay-failed        only calls with notifications the relay to the bot dead-lettered
      --top N               at most N calls (1-1000, default 100)
      --continuation-token X  go on where a previous list stopped (the list prints the whole command)
  unrouted            notifications no call could be found for (stored as rejected)
  relay status <callId>   the relay of the call's notifications to the bot (RELAY_URL): delivered through
                      which sequence, pending, dead-lettered, the last attempt, and each notification's delivery
  relay replay <callId>   delivers the call's notifications to the bot again, in order, with the same
                      webhook-ids (through the app's retry queue: the app must be running with the relay on)
      --from N              from sequence N (default 1; rounded down to the first of the request it went in)
      --reason TEXT         why, kept in the call's history with who asked (this account on this machine)
  reindex             builds the call index of a table written before the app kept one: reads every
                      call's summary once (the one command that reads the whole table), progress on
                      stderr; safe while the app runs; Ctrl-C stops it, and running it again goes on
      --restart             start from the beginning instead of where an interrupted run stopped
  purge               deletes every row of the ended calls that started before a cut-off, and the
                      unrouted notifications received before it (what RETENTION_DAYS does on schedule)
      --older-than D        the cut-off: D days back from now (90d, or 90)
      --dry-run             list what would be deleted, delete nothing
  events              the call-ended events waiting on the queue CALL_EVENTS_QUEUE, one line each: when
                      the call ended, its id, state, who closed it, reason or result. It only peeks, so
                      the app's real consumers still get every message (a peek sees the oldest 32)
      --follow              keep reading as calls end, until Ctrl-C
      --consume             take each event off the queue once it is printed: be the queue's consumer
                            (--json then prints each message before it is deleted)
  doctor              is everything wired right? One line per check, with what to do about a failure:
                      the settings the app loads, its table and queues with the credential it uses, the
                      callback's signing keys, a Graph token and the permissions it carries, BOT_APP_ID
                      against the app Graph knows, sign-in against the platform, the relay's bot (a signed
                      test delivery), telemetry. Never prints a secret. Exit code 0 only when no check
                      failed
      --app URL             ask the deployed app (its base URL, https://<app>/api) to run the checks with
                            its own settings and managed identity; the function key is read from
                            CALLS_FUNCTION_KEY, or with API_AUTH=entra an access token from
                            CALLS_ACCESS_TOKEN (CallRecord.Operate)

Options:
  --json              print JSON (the HTTP API's shapes) instead of text; events: one decoded CloudEvent
                      per line
  -h, --help          show this help

Exit codes: 0 done, 1 the query failed (unknown call, storage unreachable) or a doctor check failed,
2 bad arguments or settings.
`;

const VALUE_OPTIONS = {
    state: 'state',
    since: 'since',
    until: 'until',
    top: 'top',
    'continuation-token': 'continuationToken',
    'older-than': 'olderThan',
    app: 'app',
    from: 'from',
    reason: 'reason',
} as const;
type ValueOption = keyof typeof VALUE_OPTIONS;
/** Options without a value; `json` is taken by every command that prints data. */
const FLAG_OPTIONS = ['active', 'ended', 'restart', 'dry-run', 'follow', 'consume', 'relay-failed'] as const;
type FlagOption = (typeof FLAG_OPTIONS)[number];
const RELATIVE_TIME = /^(\d{1,6})([mhd])$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * @example
 * parseArguments(['list', '--state', 'terminated', '--since', '1h'], new Date())
 * // { name: 'list', json: false, options: { state: 'terminated', since: <an hour ago> } }
 */
export function parseArguments(args: readonly string[], now: Date): CallsCommand {
    const positional: string[] = [];
    const values = new Map<ValueOption, string>();
    const flags = new Set<FlagOption>();
    let json = false;
    let help = false;
    for (let i = 0; i < args.length; i++) {
        const arg = args[i] ?? '';
        if (arg === '-h' || arg === '--help') {
            help = true;
        } else if (arg === '--json') {
            json = true;
        } else if ((FLAG_OPTIONS as readonly string[]).includes(arg.slice(2)) && arg.startsWith('--')) {
            flags.add(arg.slice(2) as FlagOption);
        } else if (arg.startsWith('--')) {
            const at = arg.indexOf('=');
            const name = arg.slice(2, at === -1 ? undefined : at);
            if (!Object.hasOwn(VALUE_OPTIONS, name)) throw usage(`Unknown option --${name}.`);
            const value = at === -1 ? args[++i] : arg.slice(at + 1);
            if (value === undefined || value === '' || (at === -1 && value.startsWith('--'))) throw usage(`--${name} needs a value.`);
            values.set(name as ValueOption, value);
        } else {
            positional.push(arg);
        }
    }
    const [name, ...operands] = positional;
    if (help || name === 'help') return { name: 'help', asked: true };
    if (name === undefined) return { name: 'help', asked: false };

    const expect = (count: number, what: string) => {
        if (operands.length !== count) throw usage(`${name} takes ${what}.`);
    };
    const onlyOptions = (...allowed: Array<ValueOption | FlagOption>) => {
        const extra = [...values.keys(), ...flags].find((option) => !allowed.includes(option));
        if (extra !== undefined) throw usage(`${name} does not take --${extra}.`);
    };
    switch (name) {
        case 'show':
        case 'history':
        case 'participants':
            expect(1, 'one call id');
            onlyOptions();
            return { name, callId: checked(() => requireCallId(operands[0])), json };
        case 'unrouted':
            expect(0, 'no arguments');
            onlyOptions();
            return { name, json };
        case 'list': {
            expect(0, 'no arguments, only options');
            onlyOptions('state', 'since', 'until', 'top', 'continuation-token', 'active', 'ended', 'relay-failed');
            if (flags.has('active') && flags.has('ended')) throw usage('list takes --active or --ended, not both.');
            // Times back from now are fixed once, here: the next page's command repeats the instants, not "1h".
            const given = [...values].map(([option, value]) => [option, option === 'since' || option === 'until' ? absoluteTime(value, now) : value] as const);
            const query = new URLSearchParams(given.map(([option, value]): [string, string] => [VALUE_OPTIONS[option], value]));
            const activity = flags.has('active') ? 'active' : flags.has('ended') ? 'ended' : undefined;
            if (activity !== undefined) query.set('active', String(activity === 'active'));
            if (flags.has('relay-failed')) query.set('relay', 'failed');
            const filters = [
                ...(activity === undefined ? [] : [[`--${activity}`] as [string]]),
                ...(flags.has('relay-failed') ? [['--relay-failed'] as [string]] : []),
                ...given.filter(([option]) => option !== 'continuation-token').map(([option, value]): [string, string?] => [`--${option}`, value]),
            ];
            return { name, options: checked(() => parseCallListOptions(query)), json, filters };
        }
        case 'reindex':
            expect(0, 'no arguments, only options');
            onlyOptions('restart');
            return { name, restart: flags.has('restart') };
        case 'purge': {
            expect(0, 'no arguments, only options');
            onlyOptions('older-than', 'dry-run');
            const raw = values.get('older-than');
            if (raw === undefined) throw usage('purge needs --older-than D (days, e.g. 90d): calls that started before then are deleted.');
            const days = /^(\d{1,5})d?$/.exec(raw.trim());
            if (days === null || Number(days[1]) < 1) throw usage(`--older-than must be a number of days from 1 (e.g. 90d), not ${JSON.stringify(raw)}.`);
            return { name, olderThanDays: Number(days[1]), dryRun: flags.has('dry-run'), json };
        }
        case 'events':
            expect(0, 'no arguments, only options');
            onlyOptions('follow', 'consume');
            return { name, follow: flags.has('follow'), consume: flags.has('consume'), json };
        case 'doctor': {
            expect(0, 'no arguments, only options');
            onlyOptions('app');
            const app = values.get('app');
            if (app !== undefined && !/^https?:\/\/[^/]/.test(app))
                throw usage(`--app takes the app's base URL (https://<app>.azurewebsites.net/api), not ${JSON.stringify(app)}.`);
            return { name, json, ...(app === undefined ? {} : { app }) };
        }
        case 'relay': {
            const [action, ...rest] = operands;
            if (action !== 'status' && action !== 'replay') throw usage('relay takes status <callId> or replay <callId> [--from N] [--reason TEXT].');
            if (rest.length !== 1) throw usage(`relay ${action} takes one call id.`);
            const callId = checked(() => requireCallId(rest[0]));
            if (action === 'status') {
                onlyOptions();
                return { name: 'relayStatus', callId, json };
            }
            onlyOptions('from', 'reason');
            const from = values.get('from') ?? '1';
            if (!/^\d{1,10}$/.test(from) || Number(from) < 1) throw usage(`--from must be a sequence from 1, not ${JSON.stringify(from)}.`);
            // The reason as the API checks it: one line, no control characters, at most 500 characters.
            const reason = checked(() => requestReason(new URLSearchParams(), values.get('reason')));
            return { name: 'relayReplay', callId, fromSequence: Number(from), ...(reason === undefined ? {} : { reason }), json };
        }
        default:
            throw usage(`Unknown command ${JSON.stringify(name)}.`);
    }
}

/** `2h` back from now as an ISO instant; anything else is left for the ISO 8601 check. */
function absoluteTime(value: string, now: Date): string {
    const match = RELATIVE_TIME.exec(value.trim());
    if (match === null) return value;
    const unit = match[2] as keyof typeof UNIT_MS;
    return new Date(now.getTime() - Number(match[1]) * UNIT_MS[unit]).toISOString();
}

/** The API's 400s are usage errors here. */
function checked<T>(parse: () => T): T {
    try {
        return parse();
    } catch (err) {
        if (err instanceof BadRequestError) throw usage(err.message);
        throw err;
    }
}

function usage(message: string): CliError {
    // "calls --help" would be wrong from the repository (npm run calls -- --help): say it the way that is always right.
    return new CliError(EXIT.usage, `${message} Add --help for usage.`);
}
