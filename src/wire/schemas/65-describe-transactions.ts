// DescribeTransactions (key 65) request and response schemas, v0 (flexible from 0), transcribed
// from apache/kafka's clients/src/main/resources/common/message/DescribeTransactionsRequest.json and
// DescribeTransactionsResponse.json. Owns: the field lists; the value types are inferred from them
// (codec/infer.ts), never written a second time. Must not import anything outside
// wire/ (the browser client shares it).

import { type MessageOf, defineMessage } from '../codec/infer.js';

export const DescribeTransactionsRequestCodec = defineMessage({
  name: 'DescribeTransactionsRequest',
  apiKey: 65,
  type: 'request',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [{ name: 'transactionalIds', type: '[]string', versions: '0+' }],
});
export type DescribeTransactionsRequest = MessageOf<typeof DescribeTransactionsRequestCodec>;

export const DescribeTransactionsResponseCodec = defineMessage({
  name: 'DescribeTransactionsResponse',
  apiKey: 65,
  type: 'response',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    {
      name: 'transactionStates',
      type: '[]TransactionState',
      versions: '0+',
      fields: [
        { name: 'errorCode', type: 'int16', versions: '0+' },
        { name: 'transactionalId', type: 'string', versions: '0+' },
        { name: 'transactionState', type: 'string', versions: '0+' },
        { name: 'transactionTimeoutMs', type: 'int32', versions: '0+' },
        { name: 'transactionStartTimeMs', type: 'int64', versions: '0+' },
        { name: 'producerId', type: 'int64', versions: '0+' },
        { name: 'producerEpoch', type: 'int16', versions: '0+' },
        {
          name: 'topics',
          type: '[]TopicData',
          versions: '0+',
          fields: [
            { name: 'topic', type: 'string', versions: '0+' },
            { name: 'partitions', type: '[]int32', versions: '0+' },
          ],
        },
      ],
    },
  ],
});
export type DescribeTransactionsResponse = MessageOf<typeof DescribeTransactionsResponseCodec>;
