/**
 * A batch the server refuses (a 4xx about its content) is split in halves until the refused records are isolated:
 * the others are delivered, each refused one is reported with the server's reason, and nothing is retried that a
 * retry cannot help. Stops at the first failure a retry can help with (or that ends the run), saying how many
 * records from the front were settled before it.
 */
import type { DataResult, SendResult } from './protocol.js';
import type { DataRecord } from './records.js';

export async function sendIsolatingRefusals(
  records: readonly DataRecord[],
  send: (part: readonly DataRecord[]) => Promise<SendResult>,
): Promise<DataResult> {
  const result: DataResult = { settled: 0, refused: [] };
  const halve = async (part: readonly DataRecord[]): Promise<void> => {
    const answer = await send(part);
    if (answer.kind === 'delivered') {
      result.settled += part.length;
      return;
    }
    if (answer.kind !== 'refused') {
      result.failure = answer;
      return;
    }
    if (part.length === 1) {
      result.refused.push({ record: part[0]!, reason: answer.reason });
      result.settled += 1;
      return;
    }
    const half = Math.ceil(part.length / 2);
    await halve(part.slice(0, half));
    if (!result.failure) await halve(part.slice(half));
  };
  await halve(records);
  return result;
}
