// Produce (key 0) request/response schemas, v3-10, from ProduceRequest.json and
// ProduceResponse.json. Owns: layouts and value types only (shared with the client).
// v3 is the first with RecordBatch v2 (and TransactionalId); v9 first flexible;
// v10 adds tagged leader hints (CurrentLeader, NodeEndpoints) used only on
// NOT_LEADER errors, which a single node never returns.

import { MessageCodec } from '../codec/compile.js';

export interface ProducePartitionData {
  index: number;
  /** RecordBatch v2 frames back to back; a view of the request frame. */
  records: Uint8Array | null;
}

export interface ProduceTopicData {
  name: string;
  partitionData: ProducePartitionData[];
}

export interface ProduceRequest {
  transactionalId: string | null;
  acks: number;
  timeoutMs: number;
  topicData: ProduceTopicData[];
}

export interface ProducePartitionResponse {
  index: number;
  errorCode: number;
  baseOffset: number;
  logAppendTimeMs: number;
  logStartOffset: number;
  recordErrors: Array<{ batchIndex: number; batchIndexErrorMessage: string | null }>;
  errorMessage: string | null;
  currentLeader?: { leaderId: number; leaderEpoch: number } | null;
}

export interface ProduceTopicResponse {
  name: string;
  partitionResponses: ProducePartitionResponse[];
}

export interface ProduceResponse {
  responses: ProduceTopicResponse[];
  throttleTimeMs: number;
  nodeEndpoints?: Array<{ nodeId: number; host: string; port: number; rack: string | null }>;
}

export const ProduceRequestCodec = new MessageCodec<ProduceRequest>({
  name: 'ProduceRequest',
  apiKey: 0,
  type: 'request',
  validVersions: '3-10',
  flexibleVersions: '9+',
  fields: [
    { name: 'transactionalId', type: 'string', versions: '3+', nullableVersions: '3+', default: null },
    { name: 'acks', type: 'int16', versions: '0+' },
    { name: 'timeoutMs', type: 'int32', versions: '0+' },
    {
      name: 'topicData',
      type: '[]TopicProduceData',
      versions: '0+',
      fields: [
        { name: 'name', type: 'string', versions: '0+' },
        {
          name: 'partitionData',
          type: '[]PartitionProduceData',
          versions: '0+',
          fields: [
            { name: 'index', type: 'int32', versions: '0+' },
            { name: 'records', type: 'records', versions: '0+', nullableVersions: '0+' },
          ],
        },
      ],
    },
  ],
});

export const ProduceResponseCodec = new MessageCodec<ProduceResponse>({
  name: 'ProduceResponse',
  apiKey: 0,
  type: 'response',
  validVersions: '3-10',
  flexibleVersions: '9+',
  fields: [
    {
      name: 'responses',
      type: '[]TopicProduceResponse',
      versions: '0+',
      fields: [
        { name: 'name', type: 'string', versions: '0+' },
        {
          name: 'partitionResponses',
          type: '[]PartitionProduceResponse',
          versions: '0+',
          fields: [
            { name: 'index', type: 'int32', versions: '0+' },
            { name: 'errorCode', type: 'int16', versions: '0+' },
            { name: 'baseOffset', type: 'int64', versions: '0+' },
            { name: 'logAppendTimeMs', type: 'int64', versions: '2+', default: -1 },
            { name: 'logStartOffset', type: 'int64', versions: '5+', default: -1 },
            {
              name: 'recordErrors',
              type: '[]BatchIndexAndErrorMessage',
              versions: '8+',
              fields: [
                { name: 'batchIndex', type: 'int32', versions: '8+' },
                { name: 'batchIndexErrorMessage', type: 'string', versions: '8+', nullableVersions: '8+', default: null },
              ],
            },
            { name: 'errorMessage', type: 'string', versions: '8+', nullableVersions: '8+', default: null },
            {
              name: 'currentLeader',
              type: 'LeaderIdAndEpoch',
              versions: '10+',
              taggedVersions: '10+',
              tag: 0,
              fields: [
                { name: 'leaderId', type: 'int32', versions: '10+', default: -1 },
                { name: 'leaderEpoch', type: 'int32', versions: '10+', default: -1 },
              ],
            },
          ],
        },
      ],
    },
    { name: 'throttleTimeMs', type: 'int32', versions: '1+' },
    {
      name: 'nodeEndpoints',
      type: '[]NodeEndpoint',
      versions: '10+',
      taggedVersions: '10+',
      tag: 0,
      fields: [
        { name: 'nodeId', type: 'int32', versions: '10+' },
        { name: 'host', type: 'string', versions: '10+' },
        { name: 'port', type: 'int32', versions: '10+' },
        { name: 'rack', type: 'string', versions: '10+', nullableVersions: '10+', default: null },
      ],
    },
  ],
});
