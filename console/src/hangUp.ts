// The hang-up confirmation: a modal dialog (Escape or Cancel backs out; Cancel has the focus, so an
// Enter pressed by habit does not end a call).

import { h } from './dom';

/** Resolves true when the person confirmed the hang-up of `callId`. */
export function confirmHangUp(callId: string): Promise<boolean> {
    return new Promise((resolve) => {
        const cancel = h('button', { type: 'button', class: 'secondary', autofocus: true }, 'Cancel');
        const confirm = h('button', { type: 'button', class: 'danger' }, 'Hang up');
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
            h('div', { class: 'buttons' }, cancel, confirm),
        );
        let answer = false;
        cancel.addEventListener('click', () => dialog.close());
        confirm.addEventListener('click', () => {
            answer = true;
            dialog.close();
        });
        dialog.addEventListener('close', () => {
            dialog.remove();
            resolve(answer);
        });
        document.body.append(dialog);
        dialog.showModal();
        cancel.focus();
    });
}
