// Heartbeat (key 12) request and response schemas, v0-4 (flexible from 4), transcribed
// from apache/kafka's clients/src/main/resources/common/message/HeartbeatRequest.json and
// HeartbeatResponse.json. Owns: the field lists; the value types are inferred from them
// (codec/infer.ts), never written a second time. Must not import anything outside
// wire/ (the browser client shares it).

import { type MessageOf, defineMessage } from '../codec/infer.js';

export const HeartbeatRequestCodec = defineMessage({
  name: 'HeartbeatRequest',
  apiKey: 12,
  type: 'request',
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [
    { name: 'groupId', type: 'string', versions: '0+' },
    { name: 'generationId', type: 'int32', versions: '0+' },
    { name: 'memberId', type: 'string', versions: '0+' },
    { name: 'groupInstanceId', type: 'string', versions: '3+', nullableVersions: '3+', default: null },
  ],
});
export type HeartbeatRequest = MessageOf<typeof HeartbeatRequestCodec>;

export const HeartbeatResponseCodec = defineMessage({
  name: 'HeartbeatResponse',
  apiKey: 12,
  type: 'response',
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+' },
    { name: 'errorCode', type: 'int16', versions: '0+' },
  ],
});
export type HeartbeatResponse = MessageOf<typeof HeartbeatResponseCodec>;
