// The fault suite's report: one table row per scenario (printed, and pasted into docs/reliability.md),
// then what failed, with examples, and what each scenario did.

import { table } from '../../bench/report';
import { describeAnswers } from './graphSender';
import type { FaultReport } from './suite';

export function formatFaultReport(report: FaultReport): string {
    const rows = report.scenarios.map((s) => [
        s.name,
        s.requests.toLocaleString('en-US'),
        describeAnswers(s.answers),
        s.notifications.toLocaleString('en-US'),
        String(s.lost),
        String(s.doubled),
        String(s.wrongCalls),
        String(s.forbiddenAnswers),
        `${s.seconds.toFixed(1)} s`,
        s.passed ? 'pass' : 'FAIL',
    ]);
    const lines = [
        `Fault suite, ${report.size} size, seed ${report.seed}: ${report.machine.cores} cores, Node.js ${report.machine.node}, ${report.seconds} s`,
        '',
        table(['scenario', 'requests', 'answers by status', 'notifications', 'lost', 'doubled', 'wrong calls', 'forbidden answers', 'time', 'result'], rows),
    ];
    const relayed = report.scenarios.filter((s) => s.relay !== undefined);
    if (relayed.length > 0) {
        const relayRows = relayed.map((s) => {
            const r = s.relay!;
            return [
                s.name,
                r.requests.toLocaleString('en-US'),
                r.repeats.toLocaleString('en-US'),
                String(r.undelivered),
                String(r.outOfOrder),
                String(r.undrained),
                `${r.drainSeconds.toFixed(1)} s`,
            ];
        });
        lines.push(
            '',
            'What the bot received (read back from its own log):',
            '',
            table(['scenario', 'requests to the bot', 'repeats', 'undelivered', 'out of order', 'not drained or dead-lettered', 'drained after'], relayRows),
        );
    }
    for (const s of report.scenarios) {
        lines.push('', `${s.name}: ${s.passed ? 'pass' : 'FAIL'}`, ...s.notes.map((note) => `  - ${note}`), ...s.failures.map((failure) => `  ! ${failure}`));
    }
    return lines.join('\n');
}
