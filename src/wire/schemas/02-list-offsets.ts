// ListOffsets (key 2) request and response schemas, v0-11 (flexible from 6), transcribed
// from apache/kafka's clients/src/main/resources/common/message/ListOffsetsRequest.json and
// ListOffsetsResponse.json. Owns: the field lists; the value types are inferred from them
// (codec/infer.ts), never written a second time. Must not import anything outside
// wire/ (the browser client shares it).
//
// v1 replaced v0's offset list with one offset+timestamp; v4 leader epochs;
// v6 first flexible; v7 allows timestamp -3 (max timestamp, KIP-734); v8 -4 (local log
// start, KIP-405), v9 -5 (last tiered offset, KIP-1005), v10 a timeout for remote
// lookups (KIP-1075), v11 -6 (earliest pending upload, KIP-1023).

import { type MessageOf, defineMessage } from '../codec/infer.js';

export const ListOffsetsRequestCodec = defineMessage({
  name: 'ListOffsetsRequest',
  apiKey: 2,
  type: 'request',
  validVersions: '0-11',
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
    { name: 'timeoutMs', type: 'int32', versions: '10+', default: 0 },
  ],
});
export type ListOffsetsRequest = MessageOf<typeof ListOffsetsRequestCodec>;

export const ListOffsetsResponseCodec = defineMessage({
  name: 'ListOffsetsResponse',
  apiKey: 2,
  type: 'response',
  validVersions: '0-11',
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
export type ListOffsetsResponse = MessageOf<typeof ListOffsetsResponseCodec>;

export type ListOffsetsPartitionResponse = ListOffsetsResponse['topics'][number]['partitions'][number];
