// OffsetFetch (key 9) request and response schemas, v0-9 (flexible from 6; v9 adds the
// KIP-848 member id and epoch per group), transcribed
// from apache/kafka's clients/src/main/resources/common/message/OffsetFetchRequest.json and
// OffsetFetchResponse.json. Owns: the field lists; the value types are inferred from them
// (codec/infer.ts), never written a second time. Must not import anything outside
// wire/ (the browser client shares it).

import { type MessageOf, defineMessage } from '../codec/infer.js';

const offsetFetchPartitionFields = (v: string) =>
  [
    { name: 'partitionIndex', type: 'int32', versions: v },
    { name: 'committedOffset', type: 'int64', versions: v },
    { name: 'committedLeaderEpoch', type: 'int32', versions: v === '8+' ? '8+' : '5-7', default: -1 },
    { name: 'metadata', type: 'string', versions: v, nullableVersions: '0+' },
    { name: 'errorCode', type: 'int16', versions: v },
  ] as const;

export const OffsetFetchRequestCodec = defineMessage({
  name: 'OffsetFetchRequest',
  apiKey: 9,
  type: 'request',
  validVersions: '0-9',
  flexibleVersions: '6+',
  fields: [
    { name: 'groupId', type: 'string', versions: '0-7' },
    {
      name: 'topics',
      type: '[]OffsetFetchRequestTopic',
      versions: '0-7',
      nullableVersions: '2-7',
      fields: [
        { name: 'name', type: 'string', versions: '0-7' },
        { name: 'partitionIndexes', type: '[]int32', versions: '0-7' },
      ],
    },
    {
      name: 'groups',
      type: '[]OffsetFetchRequestGroup',
      versions: '8+',
      fields: [
        { name: 'groupId', type: 'string', versions: '8+' },
        { name: 'memberId', type: 'string', versions: '9+', nullableVersions: '9+', default: null },
        { name: 'memberEpoch', type: 'int32', versions: '9+', default: -1 },
        {
          name: 'topics',
          type: '[]OffsetFetchRequestTopics',
          versions: '8+',
          nullableVersions: '8+',
          fields: [
            { name: 'name', type: 'string', versions: '8+' },
            { name: 'partitionIndexes', type: '[]int32', versions: '8+' },
          ],
        },
      ],
    },
    { name: 'requireStable', type: 'bool', versions: '7+', default: false },
  ],
});
export type OffsetFetchRequest = MessageOf<typeof OffsetFetchRequestCodec>;

export const OffsetFetchResponseCodec = defineMessage({
  name: 'OffsetFetchResponse',
  apiKey: 9,
  type: 'response',
  validVersions: '0-9',
  flexibleVersions: '6+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '3+' },
    {
      name: 'topics',
      type: '[]OffsetFetchResponseTopic',
      versions: '0-7',
      fields: [
        { name: 'name', type: 'string', versions: '0-7' },
        { name: 'partitions', type: '[]OffsetFetchResponsePartition', versions: '0-7', fields: offsetFetchPartitionFields('0-7') },
      ],
    },
    { name: 'errorCode', type: 'int16', versions: '2-7' },
    {
      name: 'groups',
      type: '[]OffsetFetchResponseGroup',
      versions: '8+',
      fields: [
        { name: 'groupId', type: 'string', versions: '8+' },
        {
          name: 'topics',
          type: '[]OffsetFetchResponseTopics',
          versions: '8+',
          fields: [
            { name: 'name', type: 'string', versions: '8+' },
            { name: 'partitions', type: '[]OffsetFetchResponsePartitions', versions: '8+', fields: offsetFetchPartitionFields('8+') },
          ],
        },
        { name: 'errorCode', type: 'int16', versions: '8+' },
      ],
    },
  ],
});
export type OffsetFetchResponse = MessageOf<typeof OffsetFetchResponseCodec>;

export type OffsetFetchRequestTopic = NonNullable<OffsetFetchRequest['topics']>[number];
export type OffsetFetchResponseTopic = OffsetFetchResponse['topics'][number];
