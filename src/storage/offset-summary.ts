// The offsets summary written with the clean-shutdown marker (clean-shutdown.ts):
// per topic, its id and each partition's log start offset, log end (high watermark)
// and last stable offset at that clean close. Owns its encoding and the checks on
// decoding. Must not read or write files, nor decide whether a summary may be used:
// the engine trusts one only when it came with the marker (a clean stop), and
// only for a topic whose id and partition count it matches.
//
// Why it exists: with it, a start knows every partition's offsets without opening
// its segments, indexes and producer snapshot, so partitions can be opened on first
// use; Metadata, ListOffsets earliest/latest and empty fetches at the log end are
// answered exactly from it until then.

export interface PartitionSummary {
  logStartOffset: number;
  highWatermark: number;
  lastStableOffset: number;
}

export interface TopicSummary {
  topicId: string;
  /** Index = partition; null where the summary has no usable entry. */
  partitions: Array<PartitionSummary | null>;
}

const SUMMARY_VERSION = 1;
const FIELDS_PER_PARTITION = 3;
/** Bounds what a (possibly damaged) summary can make decoding allocate. */
const SUMMARY_TOPICS_MAX = 100_000;
const SUMMARY_PARTITIONS_MAX = 100_000;

interface Encoded {
  v: number;
  topics: Record<string, { id: string; p: number[] }>;
}

/** One line of JSON; partitions without an entry (null) are written as -1s and decode as null. */
export function encodeOffsetSummary(topics: ReadonlyMap<string, TopicSummary>): string {
  const out: Encoded = { v: SUMMARY_VERSION, topics: {} };
  for (const [name, t] of topics) {
    const p: number[] = [];
    for (const s of t.partitions) {
      if (s === null) p.push(-1, -1, -1);
      else p.push(s.logStartOffset, s.highWatermark, s.lastStableOffset);
    }
    out.topics[name] = { id: t.topicId, p };
  }
  return JSON.stringify(out);
}

function validEntry(ls: unknown, hw: unknown, lso: unknown): boolean {
  return Number.isSafeInteger(ls) && Number.isSafeInteger(hw) && Number.isSafeInteger(lso)
    && (ls as number) >= 0 && (ls as number) <= (lso as number) && (lso as number) <= (hw as number);
}

/**
 * Decodes a summary line; anything malformed yields an empty map or null entries
 * (the engine then opens those partitions at start, as without a summary).
 */
export function decodeOffsetSummary(line: string | null): Map<string, TopicSummary> {
  const out = new Map<string, TopicSummary>();
  if (line === null) return out;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return out;
  }
  if (typeof parsed !== 'object' || parsed === null) return out;
  const e = parsed as Partial<Encoded>;
  if (e.v !== SUMMARY_VERSION || typeof e.topics !== 'object' || e.topics === null) return out;
  const names = Object.keys(e.topics);
  if (names.length > SUMMARY_TOPICS_MAX) return out;
  for (const name of names) {
    const t = (e.topics as Record<string, unknown>)[name] as { id?: unknown; p?: unknown } | null;
    if (t === null || typeof t !== 'object' || typeof t.id !== 'string' || !Array.isArray(t.p)) continue;
    const flat = t.p as unknown[];
    if (flat.length % FIELDS_PER_PARTITION !== 0 || flat.length / FIELDS_PER_PARTITION > SUMMARY_PARTITIONS_MAX) continue;
    const partitions: Array<PartitionSummary | null> = [];
    for (let i = 0; i < flat.length; i += FIELDS_PER_PARTITION) {
      const [ls, hw, lso] = [flat[i], flat[i + 1], flat[i + 2]];
      partitions.push(validEntry(ls, hw, lso) ? { logStartOffset: ls as number, highWatermark: hw as number, lastStableOffset: lso as number } : null);
    }
    out.set(name, { topicId: t.id, partitions });
  }
  return out;
}
