// AddPartitionsToTxn (key 24): serves v0-5 (v3+ flexible). v0-3 carry one
// transaction (what clients send); v4+ a batch of them, each either added or, with
// verifyOnly, only checked (KIP-890 part 1, which Kafka's brokers send to the
// coordinator; served here for tools and completeness). A partition of an unknown
// topic fails with UNKNOWN_TOPIC_OR_PARTITION and the others of that transaction with
// OPERATION_NOT_ATTEMPTED, as Kafka answers; otherwise every partition carries the
// coordinator's code.
// Authorization (Kafka's): WRITE on the transactional id, else
// TRANSACTIONAL_ID_AUTHORIZATION_FAILED for every partition; WRITE on each topic,
// else TOPIC_AUTHORIZATION_FAILED for its partitions and OPERATION_NOT_ATTEMPTED for
// the others (checked before existence).
// Owns: request → coordinator calls → response.

import { ErrorCode } from '../../wire/errors.js';
import {
  AddPartitionsToTxnRequestCodec,
  AddPartitionsToTxnResponseCodec,
  type AddPartitionsToTxnTopicResult,
} from '../../wire/schemas/24-add-partitions-to-txn.js';
import { fencedFor } from './txn-common.js';
import { type RequestContext, defineApi } from './types.js';
import { Op, Resource, allowed, allowedOnTopic } from './authz.js';

interface Topics {
  name: string;
  partitions: number[];
}

function results(topics: readonly Topics[], code: (topic: string, partition: number) => number): AddPartitionsToTxnTopicResult[] {
  return topics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: code(t.name, p) })) }));
}

async function addOne(ctx: RequestContext, version: number, id: string, producerId: number, epoch: number, topics: readonly Topics[], verifyOnly: boolean): Promise<AddPartitionsToTxnTopicResult[]> {
  if (!allowed(ctx, Op.WRITE, Resource.TRANSACTIONAL_ID, id)) return results(topics, () => ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  const refused = new Set<string>();
  for (const t of topics) if (!allowedOnTopic(ctx, Op.WRITE, t.name)) refused.add(t.name);
  if (refused.size > 0) return results(topics, (t) => (refused.has(t) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : ErrorCode.OPERATION_NOT_ATTEMPTED));
  const unknown = new Set<string>();
  for (const t of topics) {
    const info = ctx.engine.describeTopic(t.name);
    for (const p of t.partitions) if (info === undefined || p < 0 || p >= info.partitions) unknown.add(`${t.name}\0${p}`);
  }
  if (unknown.size > 0) return results(topics, (t, p) => (unknown.has(`${t}\0${p}`) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.OPERATION_NOT_ATTEMPTED));
  const coordinator = ctx.txns.coordinator;
  if (verifyOnly) {
    await coordinator.ready();
    return results(topics, (t, p) => coordinator.verify(id, producerId, epoch, t, p));
  }
  const partitions: Array<[string, number]> = [];
  for (const t of topics) for (const p of t.partitions) partitions.push([t.name, p]);
  const code = fencedFor(await coordinator.addPartitions(id, producerId, epoch, partitions), version, 2);
  return results(topics, () => code);
}

export const addPartitionsToTxnApi = defineApi({
  minVersion: 0,
  maxVersion: 5,
  request: AddPartitionsToTxnRequestCodec,
  response: AddPartitionsToTxnResponseCodec,
  async handle(ctx, req, version) {
    if (version <= 3) {
      const r = await addOne(ctx, version, req.v3AndBelowTransactionalId, req.v3AndBelowProducerId, req.v3AndBelowProducerEpoch, req.v3AndBelowTopics, false);
      return { throttleTimeMs: 0, resultsByTopicV3AndBelow: r, resultsByTransaction: [] };
    }
    const resultsByTransaction = await Promise.all(req.transactions.map(async (t) => ({
      transactionalId: t.transactionalId,
      topicResults: await addOne(ctx, version, t.transactionalId, t.producerId, t.producerEpoch, t.topics, t.verifyOnly),
    })));
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction, resultsByTopicV3AndBelow: [] };
  },
  errorResponse(req, version, errorCode) {
    if (version <= 3) return { throttleTimeMs: 0, resultsByTopicV3AndBelow: results(req.v3AndBelowTopics, () => errorCode), resultsByTransaction: [] };
    return {
      throttleTimeMs: 0,
      errorCode,
      resultsByTransaction: req.transactions.map((t) => ({ transactionalId: t.transactionalId, topicResults: results(t.topics, () => errorCode) })),
      resultsByTopicV3AndBelow: [],
    };
  },
});
