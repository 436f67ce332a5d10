// The app's callback function with the call index's writes taken out, for one measurement only: what
// maintaining the index costs ingest (bench/indexCost.ts). The app has no switch for this and gets none;
// this bench entry replaces `CallIndex.record` (the only writer of index rows on the ingest path, called
// after a call's first and ending transactions) with a no-op, and everything else is the app as deployed:
// the same function file, settings, transactions, call-ended messages and host.

import '../functions/callNotifications';
import { CallIndex } from '../shared/record/callIndex';

CallIndex.prototype.record = async function recordNothing(): Promise<void> {};
