// DeleteRecords (key 21) request and response schemas, v0-2 (flexible from 2), transcribed
// from apache/kafka's clients/src/main/resources/common/message/DeleteRecordsRequest.json and
// DeleteRecordsResponse.json. Owns: the field lists; the value types are inferred from them
// (codec/infer.ts), never written a second time. Must not import anything outside
// wire/ (the browser client shares it).
//
// v1 is v0 (throttling semantics only); v2 is the first flexible version.

import { type MessageOf, defineMessage } from '../codec/infer.js';

export const DeleteRecordsRequestCodec = defineMessage({
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
export type DeleteRecordsRequest = MessageOf<typeof DeleteRecordsRequestCodec>;

export const DeleteRecordsResponseCodec = defineMessage({
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
export type DeleteRecordsResponse = MessageOf<typeof DeleteRecordsResponseCodec>;

export type DeleteRecordsPartitionResult = DeleteRecordsResponse['topics'][number]['partitions'][number];
