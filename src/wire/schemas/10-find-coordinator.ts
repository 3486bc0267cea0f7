// FindCoordinator (key 10) request and response schemas, v0-6 (flexible from 3), transcribed
// from apache/kafka's clients/src/main/resources/common/message/FindCoordinatorRequest.json and
// FindCoordinatorResponse.json. Owns: the field lists; the value types are inferred from them
// (codec/infer.ts), never written a second time. Must not import anything outside
// wire/ (the browser client shares it).
//
// v4 batches keys (KIP-699); v5 only allows TRANSACTION_ABORTABLE (KIP-890); v6 allows
// key type 2, a share-group partition "groupId:topicId:partition" (KIP-932).

import { type MessageOf, defineMessage } from '../codec/infer.js';

export const FindCoordinatorRequestCodec = defineMessage({
  name: 'FindCoordinatorRequest',
  apiKey: 10,
  type: 'request',
  validVersions: '0-6',
  flexibleVersions: '3+',
  fields: [
    { name: 'key', type: 'string', versions: '0-3' },
    { name: 'keyType', type: 'int8', versions: '1+', default: 0 },
    { name: 'coordinatorKeys', type: '[]string', versions: '4+' },
  ],
});
export type FindCoordinatorRequest = MessageOf<typeof FindCoordinatorRequestCodec>;

export const FindCoordinatorResponseCodec = defineMessage({
  name: 'FindCoordinatorResponse',
  apiKey: 10,
  type: 'response',
  validVersions: '0-6',
  flexibleVersions: '3+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+' },
    { name: 'errorCode', type: 'int16', versions: '0-3' },
    { name: 'errorMessage', type: 'string', versions: '1-3', nullableVersions: '1-3', default: null },
    { name: 'nodeId', type: 'int32', versions: '0-3' },
    { name: 'host', type: 'string', versions: '0-3' },
    { name: 'port', type: 'int32', versions: '0-3' },
    {
      name: 'coordinators',
      type: '[]Coordinator',
      versions: '4+',
      fields: [
        { name: 'key', type: 'string', versions: '4+' },
        { name: 'nodeId', type: 'int32', versions: '4+' },
        { name: 'host', type: 'string', versions: '4+' },
        { name: 'port', type: 'int32', versions: '4+' },
        { name: 'errorCode', type: 'int16', versions: '4+' },
        { name: 'errorMessage', type: 'string', versions: '4+', nullableVersions: '4+', default: null },
      ],
    },
  ],
});
export type FindCoordinatorResponse = MessageOf<typeof FindCoordinatorResponseCodec>;

export type Coordinator = FindCoordinatorResponse['coordinators'][number];
