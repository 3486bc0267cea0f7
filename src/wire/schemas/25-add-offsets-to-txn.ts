// AddOffsetsToTxn (key 25) request and response schemas, v0-4 (flexible from 3), transcribed
// from apache/kafka's clients/src/main/resources/common/message/AddOffsetsToTxnRequest.json and
// AddOffsetsToTxnResponse.json. Owns: the field lists; the value types are inferred from them
// (codec/infer.ts), never written a second time. Must not import anything outside
// wire/ (the browser client shares it).

import { type MessageOf, defineMessage } from '../codec/infer.js';

export const AddOffsetsToTxnRequestCodec = defineMessage({
  name: 'AddOffsetsToTxnRequest',
  apiKey: 25,
  type: 'request',
  validVersions: '0-4',
  flexibleVersions: '3+',
  fields: [
    { name: 'transactionalId', type: 'string', versions: '0+' },
    { name: 'producerId', type: 'int64', versions: '0+' },
    { name: 'producerEpoch', type: 'int16', versions: '0+' },
    { name: 'groupId', type: 'string', versions: '0+' },
  ],
});
export type AddOffsetsToTxnRequest = MessageOf<typeof AddOffsetsToTxnRequestCodec>;

export const AddOffsetsToTxnResponseCodec = defineMessage({
  name: 'AddOffsetsToTxnResponse',
  apiKey: 25,
  type: 'response',
  validVersions: '0-4',
  flexibleVersions: '3+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'errorCode', type: 'int16', versions: '0+' },
  ],
});
export type AddOffsetsToTxnResponse = MessageOf<typeof AddOffsetsToTxnResponseCodec>;
