// AddPartitionsToTxn (key 24) request and response schemas, v0-5 (flexible from 3), transcribed
// from apache/kafka's clients/src/main/resources/common/message/AddPartitionsToTxnRequest.json and
// AddPartitionsToTxnResponse.json. Owns: the field lists; the value types are inferred from them
// (codec/infer.ts), never written a second time. Must not import anything outside
// wire/ (the browser client shares it).
//
// v0-3 are what clients send (one transaction); v4+ batch several transactions and
// may only verify (KIP-890, broker to broker in Kafka); v5 allows TRANSACTION_ABORTABLE.

import { type MessageOf, defineMessage } from '../codec/infer.js';
import type { FieldDef } from '../codec/schema.js';

const TOPIC_FIELDS = [
  { name: 'name', type: 'string', versions: '0+' },
  { name: 'partitions', type: '[]int32', versions: '0+' },
] as const satisfies readonly FieldDef[];

const TOPIC_RESULT_FIELDS = [
  { name: 'name', type: 'string', versions: '0+' },
  {
    name: 'resultsByPartition',
    type: '[]AddPartitionsToTxnPartitionResult',
    versions: '0+',
    fields: [
      { name: 'partitionIndex', type: 'int32', versions: '0+' },
      { name: 'partitionErrorCode', type: 'int16', versions: '0+' },
    ],
  },
] as const satisfies readonly FieldDef[];

export const AddPartitionsToTxnRequestCodec = defineMessage({
  name: 'AddPartitionsToTxnRequest',
  apiKey: 24,
  type: 'request',
  validVersions: '0-5',
  flexibleVersions: '3+',
  fields: [
    {
      name: 'transactions',
      type: '[]AddPartitionsToTxnTransaction',
      versions: '4+',
      fields: [
        { name: 'transactionalId', type: 'string', versions: '4+' },
        { name: 'producerId', type: 'int64', versions: '4+' },
        { name: 'producerEpoch', type: 'int16', versions: '4+' },
        { name: 'verifyOnly', type: 'bool', versions: '4+', default: false },
        { name: 'topics', type: '[]AddPartitionsToTxnTopic', versions: '4+', fields: TOPIC_FIELDS },
      ],
    },
    { name: 'v3AndBelowTransactionalId', type: 'string', versions: '0-3' },
    { name: 'v3AndBelowProducerId', type: 'int64', versions: '0-3' },
    { name: 'v3AndBelowProducerEpoch', type: 'int16', versions: '0-3' },
    { name: 'v3AndBelowTopics', type: '[]AddPartitionsToTxnTopic', versions: '0-3', fields: TOPIC_FIELDS },
  ],
});
export type AddPartitionsToTxnRequest = MessageOf<typeof AddPartitionsToTxnRequestCodec>;

export const AddPartitionsToTxnResponseCodec = defineMessage({
  name: 'AddPartitionsToTxnResponse',
  apiKey: 24,
  type: 'response',
  validVersions: '0-5',
  flexibleVersions: '3+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'errorCode', type: 'int16', versions: '4+', default: 0 },
    {
      name: 'resultsByTransaction',
      type: '[]AddPartitionsToTxnResult',
      versions: '4+',
      fields: [
        { name: 'transactionalId', type: 'string', versions: '4+' },
        { name: 'topicResults', type: '[]AddPartitionsToTxnTopicResult', versions: '4+', fields: TOPIC_RESULT_FIELDS },
      ],
    },
    { name: 'resultsByTopicV3AndBelow', type: '[]AddPartitionsToTxnTopicResult', versions: '0-3', fields: TOPIC_RESULT_FIELDS },
  ],
});
export type AddPartitionsToTxnResponse = MessageOf<typeof AddPartitionsToTxnResponseCodec>;
export type AddPartitionsToTxnTopicResult = AddPartitionsToTxnResponse['resultsByTopicV3AndBelow'][number];
