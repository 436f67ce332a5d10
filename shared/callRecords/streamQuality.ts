// Whether a media stream of Graph's call record was good or poor, by the thresholds Microsoft's Call Quality
// Dashboard documents (Microsoft Learn, "Stream Classification in Call Quality Dashboard"; MicrosoftDocs/
// OfficeDocs-SkypeForBusiness, Teams/stream-classification-in-call-quality-dashboard.md). Pure, no I/O.
//
// Audio is poor when any of: average audio degradation > 1.0 (network MOS), average round trip > 500 ms, average
// packet loss rate > 0.1, average jitter > 30 ms, average ratio of concealed samples > 0.07. Video and video-based
// screen sharing take the first metric that is there: frame loss > 50 %, else frame rate below 7 (screen sharing:
// 2), else packet loss after error correction > 0.15; with none of them the stream is unclassified. Application
// sharing's metrics are not in Graph's call record, so those streams are unclassified, as is any stream that
// reports none of the metrics its classifier needs.

export type MediaKind = 'audio' | 'video' | 'screenSharing' | 'other';

/** A stream's figures as the call record gives them (durations already in ms), and who sent it. */
export interface StreamFigures {
    media: MediaKind;
    /** Who sent the stream, as the reason names them (a name, a masked number, an id). */
    from: string;
    packetLossRate?: number;
    jitterMs?: number;
    roundTripMs?: number;
    audioDegradation?: number;
    concealedRatio?: number;
    frameLossPercent?: number;
    frameRate?: number;
    postFecPacketLossRate?: number;
}

export interface StreamVerdict {
    quality: 'good' | 'poor' | 'unclassified';
    /** Why it is poor, in words, worst first ("audio from Ada lost 12% of packets (poor above 10%)"). */
    reasons: string[];
    /** How far past its threshold the worst metric is (1.2: 20 % past it); 0 when not poor. */
    severity: number;
}

/** The documented thresholds, in the units the figures above use. */
const CQD_THRESHOLDS = {
    audioDegradation: 1.0,
    roundTripMs: 500,
    packetLossRate: 0.1,
    jitterMs: 30,
    concealedRatio: 0.07,
    videoFrameLossPercent: 50,
    videoFrameRate: 7,
    screenSharingFrameRate: 2,
    videoPostFecPacketLossRate: 0.15,
} as const;

/**
 * @example
 * classifyStream({ media: 'audio', from: 'Ada', packetLossRate: 0.12 })
 * // { quality: 'poor', reasons: ['audio from Ada lost 12% of packets (poor above 10%)'], severity: 1.2 }
 */
export function classifyStream(stream: StreamFigures): StreamVerdict {
    switch (stream.media) {
        case 'audio':
            return classifyAudio(stream);
        case 'video':
            return classifyVideo(stream, CQD_THRESHOLDS.videoFrameRate, 'video');
        case 'screenSharing':
            return classifyVideo(stream, CQD_THRESHOLDS.screenSharingFrameRate, 'screen sharing');
        default:
            return { quality: 'unclassified', reasons: [], severity: 0 };
    }
}

/** Which kind of media a call record's `media.label` names (`main-audio`, `main-video`, `applicationsharing-video`, ...). */
export function mediaKindOf(label: unknown): MediaKind {
    if (typeof label !== 'string') return 'other';
    if (/audio/i.test(label)) return 'audio';
    if (/applicationsharing|screen|vbss/i.test(label)) return 'screenSharing';
    if (/video/i.test(label)) return 'video';
    return 'other';
}

function classifyAudio(stream: StreamFigures): StreamVerdict {
    const checks: Array<{ value: number | undefined; limit: number; words: (value: number) => string }> = [
        { value: stream.packetLossRate, limit: CQD_THRESHOLDS.packetLossRate, words: (v) => `lost ${percent(v)} of packets (poor above 10%)` },
        { value: stream.jitterMs, limit: CQD_THRESHOLDS.jitterMs, words: (v) => `had ${ms(v)} jitter (poor above 30 ms)` },
        { value: stream.roundTripMs, limit: CQD_THRESHOLDS.roundTripMs, words: (v) => `had a ${ms(v)} round trip (poor above 500 ms)` },
        { value: stream.audioDegradation, limit: CQD_THRESHOLDS.audioDegradation, words: (v) => `was degraded by ${v.toFixed(2)} MOS (poor above 1.0)` },
        { value: stream.concealedRatio, limit: CQD_THRESHOLDS.concealedRatio, words: (v) => `had ${percent(v)} concealed samples (poor above 7%)` },
    ];
    const reported = checks.filter((check) => check.value !== undefined);
    if (reported.length === 0) return { quality: 'unclassified', reasons: [], severity: 0 };
    const poor = reported
        .filter((check) => (check.value ?? 0) > check.limit)
        .map((check) => ({ severity: (check.value ?? 0) / check.limit, words: `audio from ${stream.from} ${check.words(check.value ?? 0)}` }))
        .sort((a, b) => b.severity - a.severity);
    return poor.length === 0 ? { quality: 'good', reasons: [], severity: 0 } : { quality: 'poor', reasons: poor.map((p) => p.words), severity: poor[0]?.severity ?? 0 };
}

/** Video and screen sharing: the first metric that is reported decides (CQD's steps 1, 2, 3). */
function classifyVideo(stream: StreamFigures, minFrameRate: number, what: string): StreamVerdict {
    const verdict = (poor: boolean, severity: number, words: string): StreamVerdict =>
        poor ? { quality: 'poor', reasons: [`${what} from ${stream.from} ${words}`], severity } : { quality: 'good', reasons: [], severity: 0 };
    if (stream.frameLossPercent !== undefined) {
        const value = stream.frameLossPercent;
        return verdict(value > CQD_THRESHOLDS.videoFrameLossPercent, value / CQD_THRESHOLDS.videoFrameLossPercent, `lost ${value.toFixed(0)}% of frames (poor above 50%)`);
    }
    if (stream.frameRate !== undefined) {
        const value = stream.frameRate;
        return verdict(value < minFrameRate, minFrameRate / Math.max(value, 0.01), `ran at ${value.toFixed(1)} frames per second (poor below ${minFrameRate})`);
    }
    if (stream.postFecPacketLossRate !== undefined) {
        const value = stream.postFecPacketLossRate;
        return verdict(
            value > CQD_THRESHOLDS.videoPostFecPacketLossRate,
            value / CQD_THRESHOLDS.videoPostFecPacketLossRate,
            `lost ${percent(value)} of packets after error correction (poor above 15%)`,
        );
    }
    return { quality: 'unclassified', reasons: [], severity: 0 };
}

/**
 * An ISO 8601 duration as Graph writes them (`PT0.016S`, `PT1M2.5S`, `P1DT2H`), in milliseconds; undefined for
 * null, a missing value, or anything that is not one.
 *
 * @example
 * durationMs('PT0.016S') // 16
 */
export function durationMs(value: unknown): number | undefined {
    if (typeof value !== 'string') return undefined;
    const match = /^(-)?P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(value.trim());
    if (match === null || value.trim() === 'P' || value.trim().endsWith('T')) return undefined;
    const [, sign, weeks, days, hours, minutes, seconds] = match;
    const total = (Number(weeks ?? 0) * 7 * 86_400 + Number(days ?? 0) * 86_400 + Number(hours ?? 0) * 3600 + Number(minutes ?? 0) * 60 + Number(seconds ?? 0)) * 1000;
    return sign === '-' ? -total : total;
}

function percent(rate: number): string {
    const value = rate * 100;
    return `${value >= 10 ? value.toFixed(0) : value.toFixed(1)}%`;
}

function ms(value: number): string {
    return `${Math.round(value)} ms`;
}
