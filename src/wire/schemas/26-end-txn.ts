// EndTxn (key 26) request and response schemas, v0-5 (flexible from 3), transcribed
// from apache/kafka's clients/src/main/resources/common/message/EndTxnRequest.json and
// EndTxnResponse.json. Owns: the field lists; the value types are inferred from them
// (codec/infer.ts), never written a second time. Must not import anything outside
// wire/ (the browser client shares it).
//
// v5 is transaction version 2 (KIP-890 part 2: the epoch is bumped by every EndTxn and
// the response carries it); clients use it only when the broker advertises
// transaction.version 2 in its features.

import { type MessageOf, defineMessage } from '../codec/infer.js';

export const EndTxnRequestCodec = defineMessage({
  name: 'EndTxnRequest',
  apiKey: 26,
  type: 'request',
  validVersions: '0-5',
  flexibleVersions: '3+',
  fields: [
    { name: 'transactionalId', type: 'string', versions: '0+' },
    { name: 'producerId', type: 'int64', versions: '0+' },
    { name: 'producerEpoch', type: 'int16', versions: '0+' },
    { name: 'committed', type: 'bool', versions: '0+' },
  ],
});
export type EndTxnRequest = MessageOf<typeof EndTxnRequestCodec>;

export const EndTxnResponseCodec = defineMessage({
  name: 'EndTxnResponse',
  apiKey: 26,
  type: 'response',
  validVersions: '0-5',
  flexibleVersions: '3+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'producerId', type: 'int64', versions: '5+', default: -1 },
    { name: 'producerEpoch', type: 'int16', versions: '5+', default: -1 },
  ],
});
export type EndTxnResponse = MessageOf<typeof EndTxnResponseCodec>;
