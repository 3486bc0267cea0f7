// Reading records for JSON consumers: GET …/records and the /consume stream.
// Owns: turning stored batches into records from a given offset (skipping control
// batches and records before the offset, as a Kafka consumer does) and the offset
// to read next. Must not touch sockets.

import { ATTR_CONTROL } from '../wire/batch-layout.js';
import { decodeRecordBatches, type Record as KafkaRecord } from '../protocol/record-batch.js';

export interface DecodedRead {
  records: KafkaRecord[];
  /** Offset after the last batch seen (≥ fromOffset). */
  nextOffset: number;
}

/** Decodes batches read from `fromOffset` (the first batch may start before it). */
export function recordsFrom(bytes: Uint8Array, fromOffset: number): DecodedRead {
  const records: KafkaRecord[] = [];
  let nextOffset = fromOffset;
  if (bytes.byteLength === 0) return { records, nextOffset };
  for (const b of decodeRecordBatches(bytes)) {
    const end = Number(b.header.baseOffset) + b.header.lastOffsetDelta + 1;
    if (end > nextOffset) nextOffset = end;
    if ((b.header.attributes & ATTR_CONTROL) !== 0) continue;
    for (const r of b.records) if (r.offset >= fromOffset) records.push(r);
  }
  return { records, nextOffset };
}
