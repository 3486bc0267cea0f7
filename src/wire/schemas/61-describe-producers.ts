// DescribeProducers (key 61) request and response schemas, v0 (flexible from 0), transcribed
// from apache/kafka's clients/src/main/resources/common/message/DescribeProducersRequest.json and
// DescribeProducersResponse.json. Owns: the field lists; the value types are inferred from them
// (codec/infer.ts), never written a second time. Must not import anything outside
// wire/ (the browser client shares it).

import { type MessageOf, defineMessage } from '../codec/infer.js';

export const DescribeProducersRequestCodec = defineMessage({
  name: 'DescribeProducersRequest',
  apiKey: 61,
  type: 'request',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    {
      name: 'topics',
      type: '[]TopicRequest',
      versions: '0+',
      fields: [
        { name: 'name', type: 'string', versions: '0+' },
        { name: 'partitionIndexes', type: '[]int32', versions: '0+' },
      ],
    },
  ],
});
export type DescribeProducersRequest = MessageOf<typeof DescribeProducersRequestCodec>;

export const DescribeProducersResponseCodec = defineMessage({
  name: 'DescribeProducersResponse',
  apiKey: 61,
  type: 'response',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    {
      name: 'topics',
      type: '[]TopicResponse',
      versions: '0+',
      fields: [
        { name: 'name', type: 'string', versions: '0+' },
        {
          name: 'partitions',
          type: '[]PartitionResponse',
          versions: '0+',
          fields: [
            { name: 'partitionIndex', type: 'int32', versions: '0+' },
            { name: 'errorCode', type: 'int16', versions: '0+' },
            { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+', default: null },
            {
              name: 'activeProducers',
              type: '[]ProducerState',
              versions: '0+',
              fields: [
                { name: 'producerId', type: 'int64', versions: '0+' },
                { name: 'producerEpoch', type: 'int32', versions: '0+' },
                { name: 'lastSequence', type: 'int32', versions: '0+', default: -1 },
                { name: 'lastTimestamp', type: 'int64', versions: '0+', default: -1 },
                { name: 'coordinatorEpoch', type: 'int32', versions: '0+' },
                { name: 'currentTxnStartOffset', type: 'int64', versions: '0+', default: -1 },
              ],
            },
          ],
        },
      ],
    },
  ],
});
export type DescribeProducersResponse = MessageOf<typeof DescribeProducersResponseCodec>;
