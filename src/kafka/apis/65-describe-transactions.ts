// DescribeTransactions (key 65): serves v0 (flexible). The coordinator's state of
// each asked transactional id (state name as Kafka's: Empty, Ongoing, PrepareCommit,
// …; producer id and epoch; timeout; start time, -1 when none is open; partitions of
// the open transaction), TRANSACTIONAL_ID_NOT_FOUND for an id it does not know.
// Authorization (Kafka's): DESCRIBE on each transactional id, else
// TRANSACTIONAL_ID_AUTHORIZATION_FAILED; the topics the principal may not DESCRIBE are
// left out of the partitions listed.
// Owns: request → coordinator.describe → response.

import { ErrorCode } from '../../wire/errors.js';
import { DescribeTransactionsRequestCodec, DescribeTransactionsResponseCodec } from '../../wire/schemas/65-describe-transactions.js';
import { defineApi } from './types.js';
import { Op, Resource, allowed, allowedOnTopic } from './authz.js';

function byTopic(partitions: ReadonlyArray<[string, number]>): Array<{ topic: string; partitions: number[] }> {
  const m = new Map<string, number[]>();
  for (const [t, p] of partitions) {
    const list = m.get(t);
    if (list === undefined) m.set(t, [p]);
    else list.push(p);
  }
  return [...m].map(([topic, ps]) => ({ topic, partitions: ps.sort((a, b) => a - b) }));
}

export const describeTransactionsApi = defineApi({
  minVersion: 0,
  maxVersion: 0,
  request: DescribeTransactionsRequestCodec,
  response: DescribeTransactionsResponseCodec,
  async handle(ctx, req) {
    await ctx.txns.coordinator.ready();
    const transactionStates = req.transactionalIds.map((transactionalId) => {
      if (!allowed(ctx, Op.DESCRIBE, Resource.TRANSACTIONAL_ID, transactionalId)) {
        return { errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, transactionalId, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1, producerId: -1, producerEpoch: -1, topics: [] };
      }
      const d = ctx.txns.coordinator.describe(transactionalId);
      if (d === undefined) {
        return { errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, transactionalId, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1, producerId: -1, producerEpoch: -1, topics: [] };
      }
      return {
        errorCode: ErrorCode.NONE, transactionalId, transactionState: d.state, transactionTimeoutMs: d.timeoutMs,
        transactionStartTimeMs: d.startMs, producerId: d.producerId, producerEpoch: d.producerEpoch, topics: byTopic(d.partitions.filter(([t]) => allowedOnTopic(ctx, Op.DESCRIBE, t, false))),
      };
    });
    return { throttleTimeMs: 0, transactionStates };
  },
  errorResponse(req, _version, errorCode) {
    return {
      throttleTimeMs: 0,
      transactionStates: req.transactionalIds.map((transactionalId) => ({ errorCode, transactionalId, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1, producerId: -1, producerEpoch: -1, topics: [] })),
    };
  },
});
