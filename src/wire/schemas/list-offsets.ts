// ListOffsets (key 2) request/response schemas, v0-7, from ListOffsetsRequest.json
// and ListOffsetsResponse.json. Owns: layouts and value types only (shared with the
// client). v1 replaced v0's offset list with one offset+timestamp; v4 leader epochs;
// v6 first flexible; v7 allows timestamp -3 (max timestamp, KIP-734).

import { MessageCodec } from '../codec/compile.js';

export interface ListOffsetsPartition {
  partitionIndex: number;
  currentLeaderEpoch: number;
  /** -1 latest, -2 earliest, -3 max timestamp, else a timestamp in ms. */
  timestamp: number;
  maxNumOffsets: number;
}

export interface ListOffsetsRequest {
  replicaId: number;
  isolationLevel: number;
  topics: Array<{ name: string; partitions: ListOffsetsPartition[] }>;
}

export interface ListOffsetsPartitionResponse {
  partitionIndex: number;
  errorCode: number;
  oldStyleOffsets: number[];
  timestamp: number;
  offset: number;
  leaderEpoch: number;
}

export interface ListOffsetsResponse {
  throttleTimeMs: number;
  topics: Array<{ name: string; partitions: ListOffsetsPartitionResponse[] }>;
}

export const ListOffsetsRequestCodec = new MessageCodec<ListOffsetsRequest>({
  name: 'ListOffsetsRequest',
  apiKey: 2,
  type: 'request',
  validVersions: '0-7',
  flexibleVersions: '6+',
  fields: [
    { name: 'replicaId', type: 'int32', versions: '0+' },
    { name: 'isolationLevel', type: 'int8', versions: '2+' },
    {
      name: 'topics',
      type: '[]ListOffsetsTopic',
      versions: '0+',
      fields: [
        { name: 'name', type: 'string', versions: '0+' },
        {
          name: 'partitions',
          type: '[]ListOffsetsPartition',
          versions: '0+',
          fields: [
            { name: 'partitionIndex', type: 'int32', versions: '0+' },
            { name: 'currentLeaderEpoch', type: 'int32', versions: '4+', default: -1 },
            { name: 'timestamp', type: 'int64', versions: '0+' },
            { name: 'maxNumOffsets', type: 'int32', versions: '0', default: 1 },
          ],
        },
      ],
    },
  ],
});

export const ListOffsetsResponseCodec = new MessageCodec<ListOffsetsResponse>({
  name: 'ListOffsetsResponse',
  apiKey: 2,
  type: 'response',
  validVersions: '0-7',
  flexibleVersions: '6+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '2+' },
    {
      name: 'topics',
      type: '[]ListOffsetsTopicResponse',
      versions: '0+',
      fields: [
        { name: 'name', type: 'string', versions: '0+' },
        {
          name: 'partitions',
          type: '[]ListOffsetsPartitionResponse',
          versions: '0+',
          fields: [
            { name: 'partitionIndex', type: 'int32', versions: '0+' },
            { name: 'errorCode', type: 'int16', versions: '0+' },
            { name: 'oldStyleOffsets', type: '[]int64', versions: '0' },
            { name: 'timestamp', type: 'int64', versions: '1+', default: -1 },
            { name: 'offset', type: 'int64', versions: '1+', default: -1 },
            { name: 'leaderEpoch', type: 'int32', versions: '4+', default: -1 },
          ],
        },
      ],
    },
  ],
});
