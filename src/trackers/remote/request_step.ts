/**
 * One request's worth of a delivery round, in the order the server must see things: the run created first, then
 * the spool's records (older) before the memory queue's, one artifact or one batch a request, the run status last.
 * A batch whose answer was lost (in doubt) is sent again as it was, once the server says it does not have it; the
 * spool records such a batch before it is sent, so that a process killed meanwhile leaves the question to the next.
 */
import type { DeliveryCore } from './delivery_core.js';
import type { DataResult, Doubt, SendResult } from './protocol.js';
import { valuesOf } from './records.js';
import type { ArtifactRecord, BatchRecord } from './records.js';
import type { RunMeta } from './spool.js';

/** Why a request did not go through: try again later, or stop for this session. */
export type Failure =
  | { kind: 'retryable'; error: string; retryAfterMs: number | undefined; internal?: true; waiting?: true }
  | { kind: 'stopped'; reason: string };

/** What one step of a round did: sent something, found nothing to send, or failed. */
export type StepOutcome = 'progress' | 'idle' | Failure;

/** Spooled records read (parsed) for one request: more than a batch of any backend holds. */
const WINDOW_RECORDS = 2_000;

type Core = DeliveryCore<RunMeta, BatchRecord>;

/** The doubt a batch's failure leaves: its answer was lost before anything of it was settled. */
function doubtOf(result: DataResult<BatchRecord>): Doubt | undefined {
  const failure = result.failure;
  return failure?.kind === 'retryable' && result.settled === 0 ? failure.inDoubt : undefined;
}

function isFailure(result: SendResult): result is Extract<SendResult, { kind: 'retryable' | 'stopped' }> {
  return result.kind === 'retryable' || result.kind === 'stopped';
}

/** Sends one request's worth. */
export async function sendNext(core: Core): Promise<StepOutcome> {
  if (!core.runId) {
    const failure = await createRun(core);
    if (failure) return failure;
  }
  if (core.spool.pending) return sendSpoolWindow(core);
  if (core.queue.data.length > 0) return sendMemoryBatch(core);
  const artifact = core.queue.firstArtifact;
  if (artifact) {
    core.stamp([artifact]);
    core.inFlight.artifacts = 1;
    let result;
    try {
      result = await sendArtifact(core, artifact);
    } finally {
      core.inFlight.artifacts = 0;
    }
    if (result === 'progress') core.queue.forgetArtifacts(1);
    return result;
  }
  if (core.meta.pendingStatus) return sendStatus(core);
  return 'idle';
}

/** Creates the run; undefined once it exists, else why not. */
async function createRun(core: Core): Promise<Failure | undefined> {
  // A run created from a spool (a later session, `gymnos sync`) is tagged like a live one.
  const tags = {
    ...(core.meta.gymnosRunId ? { 'gymnos.run_id': core.meta.gymnosRunId } : {}),
    ...core.meta.tags,
    ...core.options.runTags,
  };
  const result = await core.protocol.createRun(core.meta, tags);
  core.metaChanged(); // the protocol may have noted ids of its own (an experiment found) on the way
  if (result.kind === 'stopped') core.ledger.reject('run', core.meta.runName, result.reason);
  if (result.kind !== 'delivered') return result;
  core.keepPace(result.paceMs);
  // A new run is RUNNING already; only a final status stays pending.
  if (core.meta.pendingStatus?.status === 'RUNNING') delete core.meta.pendingStatus;
  core.on('created');
  await core.saveMeta();
  return undefined;
}

/** The batch at the front of the memory queue (a batch in doubt is sent again as it was). */
async function sendMemoryBatch(core: Core): Promise<StepOutcome> {
  const data = core.queue.data;
  const inDoubt = core.memoryDoubtLength(data);
  const batch = data.slice(0, inDoubt || core.protocol.takeBatch(core.meta, data));
  const doubt = inDoubt ? core.memoryDoubt : undefined;
  core.stamp(batch);
  core.inFlight.data = batch.length;
  let result;
  try {
    result = await core.protocol.sendBatch(core.meta, batch, doubt ? { doubt } : {});
  } finally {
    core.inFlight.data = 0;
  }
  settleData(core, batch, result);
  core.queue.forgetData(result.settled);
  const lost = doubtOf(result);
  core.memoryDoubt = lost ? { first: batch[0]!, length: batch.length, ...lost } : undefined;
  return result.failure ?? 'progress';
}

/** Counts what a batch delivered and reports what it refused; keeps the pause the server asked for. */
function settleData(core: Core, batch: readonly BatchRecord[], result: DataResult<BatchRecord>): void {
  const refused = new Set(result.refused.map(({ record }) => record));
  for (const record of batch.slice(0, result.settled)) if (!refused.has(record)) core.ledger.countDelivered(record);
  for (const { record, reason } of result.refused) {
    core.ledger.reject(record.t === 'row' ? 'metric' : record.t, record.key, reason, valuesOf(record));
  }
  core.keepPace(result.paceMs);
}

/** Uploads one artifact; a refused one is reported. Either way a spooled copy of its bytes is deleted. */
async function sendArtifact(core: Core, record: ArtifactRecord): Promise<StepOutcome> {
  const result = await core.protocol.sendFile(core.meta, record);
  if (isFailure(result)) return result;
  if (result.kind === 'delivered') core.keepPace(result.paceMs);
  if (result.kind === 'delivered') core.ledger.delivered.artifacts += 1;
  else core.ledger.reject('artifact', record.path, result.reason);
  await core.spool.store.release(record).catch(() => undefined);
  return 'progress';
}

async function sendStatus(core: Core): Promise<StepOutcome> {
  const pending = core.meta.pendingStatus!;
  const result = await core.protocol.sendStatus(core.meta, pending.status, pending.endTime);
  if (isFailure(result)) return result;
  if (result.kind === 'delivered') core.keepPace(result.paceMs);
  if (result.kind === 'refused') core.ledger.reject('status', pending.status, result.reason);
  if (core.meta.pendingStatus === pending) {
    delete core.meta.pendingStatus;
    core.metaChanged();
    await core.saveMeta();
  }
  return 'progress';
}

/** Sends the oldest spooled records: one artifact, or a batch of the data records in front. */
async function sendSpoolWindow(core: Core): Promise<StepOutcome> {
  const spool = core.spool.store;
  let entries;
  try {
    const window = core.protocol.window ?? { records: WINDOW_RECORDS, bytes: undefined };
    entries = await spool.readWindow(window.records, window.bytes);
  } catch (error) {
    core.spool.break(error);
    return 'progress';
  }
  if (entries.length === 0) return 'idle';
  if (!entries[0]!.record) {
    // Unreadable lines (a write cut by a crash): skip them.
    let skip = 0;
    while (skip < entries.length && !entries[skip]!.record) skip += 1;
    await core.spool.advance(entries[skip - 1]!.end);
    return 'progress';
  }
  const first = entries[0]!.record;
  if (first.t === 'artifact') {
    const outcome = await sendArtifact(core, first);
    if (outcome === 'progress') await core.spool.advance(entries[0]!.end);
    return outcome;
  }
  // A range in doubt (a request sent whose answer was lost) is sent as it was, once the server says it does not
  // have it; a batch never runs into one.
  const doubt = spool.doubt;
  const inDoubt = doubt !== undefined && doubt.start === spool.offset;
  const start = spool.offset;
  const limit = doubt === undefined ? Infinity : inDoubt ? doubt.end : doubt.start;
  const records: BatchRecord[] = [];
  for (const entry of entries) {
    if (!entry.record || entry.record.t === 'artifact' || entry.end > limit) break;
    records.push(entry.record); // the spool holds what this delivery's tracker queued
  }
  const batch = inDoubt ? records : records.slice(0, core.protocol.takeBatch(core.meta, records));
  if (batch.length === 0) {
    // The records in doubt are out of reach (a torn line among them): send what follows as usual.
    spool.clearDoubt();
    return 'progress';
  }
  // Written before the request: if this process dies before the answer, the next delivery asks first (and gives the
  // server the time this request may take).
  const end = entries[batch.length - 1]!.end;
  if (!inDoubt) spool.markInDoubt({ start, end, settleBy: Date.now() + 2 * core.protocol.timeouts.currentMs });
  const result = await core.protocol.sendBatch(core.meta, batch, inDoubt ? { doubt } : {});
  settleData(core, batch, result);
  if (result.settled > 0) await core.spool.advance(entries[result.settled - 1]!.end);
  const lost = doubtOf(result);
  if (lost) spool.markInDoubt({ start, end, ...lost });
  else if (result.failure) spool.clearDoubt();
  return result.failure ?? 'progress';
}
