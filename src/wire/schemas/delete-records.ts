// DeleteRecords (21, v0-2) request/response schemas, from apache/kafka's
// DeleteRecordsRequest.json / DeleteRecordsResponse.json. v1 is v0 (throttling
// semantics only); v2 is the first flexible version. Owns: layouts and value types
// only (shared with the client).

import { MessageCodec } from '../codec/compile.js';

export interface DeleteRecordsRequest {
  topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; offset: number }> }>;
  timeoutMs: number;
}

export interface DeleteRecordsPartitionResult {
  partitionIndex: number;
  lowWatermark: number;
  errorCode: number;
}

export interface DeleteRecordsResponse {
  throttleTimeMs: number;
  topics: Array<{ name: string; partitions: DeleteRecordsPartitionResult[] }>;
}

export const DeleteRecordsRequestCodec = new MessageCodec<DeleteRecordsRequest>({
  name: 'DeleteRecordsRequest',
  apiKey: 21,
  type: 'request',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    {
      name: 'topics',
      type: '[]DeleteRecordsTopic',
      versions: '0+',
      fields: [
        { name: 'name', type: 'string', versions: '0+' },
        {
          name: 'partitions',
          type: '[]DeleteRecordsPartition',
          versions: '0+',
          fields: [
            { name: 'partitionIndex', type: 'int32', versions: '0+' },
            { name: 'offset', type: 'int64', versions: '0+' },
          ],
        },
      ],
    },
    { name: 'timeoutMs', type: 'int32', versions: '0+' },
  ],
});

export const DeleteRecordsResponseCodec = new MessageCodec<DeleteRecordsResponse>({
  name: 'DeleteRecordsResponse',
  apiKey: 21,
  type: 'response',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    {
      name: 'topics',
      type: '[]DeleteRecordsTopicResult',
      versions: '0+',
      fields: [
        { name: 'name', type: 'string', versions: '0+' },
        {
          name: 'partitions',
          type: '[]DeleteRecordsPartitionResult',
          versions: '0+',
          fields: [
            { name: 'partitionIndex', type: 'int32', versions: '0+' },
            { name: 'lowWatermark', type: 'int64', versions: '0+' },
            { name: 'errorCode', type: 'int16', versions: '0+' },
          ],
        },
      ],
    },
  ],
});
