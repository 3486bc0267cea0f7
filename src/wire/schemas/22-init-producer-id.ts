// InitProducerId (key 22) request and response schemas, v0-5 (flexible from 2), transcribed
// from apache/kafka's clients/src/main/resources/common/message/InitProducerIdRequest.json and
// InitProducerIdResponse.json. Owns: the field lists; the value types are inferred from them
// (codec/infer.ts), never written a second time. Must not import anything outside
// wire/ (the browser client shares it).

import { type MessageOf, defineMessage } from '../codec/infer.js';

export const InitProducerIdRequestCodec = defineMessage({
  name: 'InitProducerIdRequest',
  apiKey: 22,
  type: 'request',
  validVersions: '0-5',
  flexibleVersions: '2+',
  fields: [
    { name: 'transactionalId', type: 'string', versions: '0+', nullableVersions: '0+' },
    { name: 'transactionTimeoutMs', type: 'int32', versions: '0+' },
    { name: 'producerId', type: 'int64', versions: '3+', default: -1 },
    { name: 'producerEpoch', type: 'int16', versions: '3+', default: -1 },
  ],
});
export type InitProducerIdRequest = MessageOf<typeof InitProducerIdRequestCodec>;

export const InitProducerIdResponseCodec = defineMessage({
  name: 'InitProducerIdResponse',
  apiKey: 22,
  type: 'response',
  validVersions: '0-5',
  flexibleVersions: '2+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'producerId', type: 'int64', versions: '0+', default: -1 },
    { name: 'producerEpoch', type: 'int16', versions: '0+' },
  ],
});
export type InitProducerIdResponse = MessageOf<typeof InitProducerIdResponseCodec>;
