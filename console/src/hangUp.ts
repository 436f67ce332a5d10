// The confirmations of what changes a call: the hang-up and the relay's replay, each a modal dialog (Escape or
// Cancel backs out; Cancel has the focus, so an Enter pressed by habit does not end a call or resend anything),
// that also asks why, for the call's history.

import { MAX_REASON_LENGTH } from '../../shared/access/requester';
import { h } from './dom';

/** What the person decided: back out, or hang up with the reason they gave (if any). */
export type HangUpDecision = { confirmed: false } | { confirmed: true; reason: string | undefined };

/** Resolves once the person confirmed the hang-up of `callId` (with an optional reason) or backed out. */
export function confirmHangUp(callId: string): Promise<HangUpDecision> {
    return new Promise((resolve) => {
        const cancel = h('button', { type: 'button', class: 'secondary', autofocus: true }, 'Cancel');
        const confirm = h('button', { type: 'button', class: 'danger' }, 'Hang up');
        const reason = h('input', { id: 'hangup-reason', type: 'text', maxlength: MAX_REASON_LENGTH, autocomplete: 'off', placeholder: 'e.g. caller asked to be dropped' });
        const dialog = h(
            'dialog',
            { class: 'confirm', 'aria-labelledby': 'hangup-title', 'aria-describedby': 'hangup-text' },
            h('h2', { id: 'hangup-title' }, 'Hang up this call?'),
            h(
                'p',
                { id: 'hangup-text' },
                "The app asks Microsoft Graph to end the bot's leg of call ",
                h('code', {}, callId),
                '. For a two-party call that ends the call for everyone. This cannot be undone.',
            ),
            h('label', { for: 'hangup-reason' }, 'Reason (optional): kept in the call’s history with who asked'),
            reason,
            h('div', { class: 'buttons' }, cancel, confirm),
        );
        let decision: HangUpDecision = { confirmed: false };
        cancel.addEventListener('click', () => dialog.close());
        confirm.addEventListener('click', () => {
            const given = reason.value.replace(/\s+/g, ' ').trim();
            decision = { confirmed: true, reason: given === '' ? undefined : given };
            dialog.close();
        });
        dialog.addEventListener('close', () => {
            dialog.remove();
            resolve(decision);
        });
        document.body.append(dialog);
        dialog.showModal();
        cancel.focus();
    });
}

/** What the person decided about a replay: back out, or the sequence to replay from and the reason they gave. */
export type ReplayDecision = { confirmed: false } | { confirmed: true; fromSequence: number; reason: string | undefined };

/**
 * Resolves once the person confirmed the replay of `callId` (from a sequence, with an optional reason) or backed
 * out. The sequence defaults to 1 and must be within the call's `eventCount`.
 */
export function confirmReplay(callId: string, eventCount: number): Promise<ReplayDecision> {
    return new Promise((resolve) => {
        const from = h('input', { type: 'number', id: 'replay-from', min: '1', max: String(Math.max(1, eventCount)), value: '1', required: true, inputmode: 'numeric' });
        const reason = h('input', {
            id: 'replay-reason',
            type: 'text',
            maxlength: MAX_REASON_LENGTH,
            autocomplete: 'off',
            placeholder: 'e.g. the bot restarted and lost its state',
        });
        const cancel = h('button', { type: 'button', class: 'secondary', autofocus: true }, 'Cancel');
        const confirm = h('button', { type: 'button' }, 'Replay');
        const dialog = h(
            'dialog',
            { class: 'confirm', 'aria-labelledby': 'replay-title', 'aria-describedby': 'replay-text' },
            h('h2', { id: 'replay-title' }, 'Deliver this call to the bot again?'),
            h(
                'p',
                { id: 'replay-text' },
                'The app sends call ',
                h('code', {}, callId),
                ' notifications to the bot again, in order, from the sequence below (rounded down to the start of the request it went in), with the same webhook-ids as before: a bot that drops repeats ignores what it already has. Dead-lettered notifications are tried again.',
            ),
            h('p', {}, h('label', { for: 'replay-from' }, 'From sequence '), from),
            h('label', { for: 'replay-reason' }, 'Reason (optional): kept in the call’s history with who asked'),
            reason,
            h('div', { class: 'buttons' }, cancel, confirm),
        );
        let answer: ReplayDecision = { confirmed: false };
        cancel.addEventListener('click', () => dialog.close());
        confirm.addEventListener('click', () => {
            const value = Number(from.value);
            if (!Number.isInteger(value) || value < 1 || value > Math.max(1, eventCount)) {
                from.setCustomValidity(`A sequence from 1 to ${eventCount}.`);
                from.reportValidity();
                return;
            }
            const given = reason.value.replace(/\s+/g, ' ').trim();
            answer = { confirmed: true, fromSequence: value, reason: given === '' ? undefined : given };
            dialog.close();
        });
        from.addEventListener('input', () => from.setCustomValidity(''));
        dialog.addEventListener('close', () => {
            dialog.remove();
            resolve(answer);
        });
        document.body.append(dialog);
        dialog.showModal();
        cancel.focus();
    });
}
