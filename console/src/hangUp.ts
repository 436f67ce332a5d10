// The hang-up confirmation: a modal dialog (Escape or Cancel backs out; Cancel has the focus, so an Enter
// pressed by habit does not end a call) that also asks why, for the call's history.

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
