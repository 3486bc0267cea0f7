// The directory of one partition under the data dir: `<topic>-<partition>`, as Kafka names it.
// Owns: that name, built only after the topic-name rule and the partition bound say yes.
// Must not touch the file system.

import { ErrorCode, KafkaError } from '../wire/errors.js';
import { PARTITIONS_MAX, assertTopicName } from '../wire/topic-name.js';

/** Name of a partition's directory under the data dir: `<topic>-<partition>`. */
export function partitionDirName(topic: string, partition: number): string {
  assertTopicName(topic);
  if (!Number.isInteger(partition) || partition < 0 || partition >= PARTITIONS_MAX) {
    throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `invalid partition ${partition} (0..${PARTITIONS_MAX - 1})`);
  }
  return `${topic}-${partition}`;
}
