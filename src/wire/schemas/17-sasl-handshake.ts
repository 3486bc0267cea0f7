// SaslHandshake (key 17) request and response schemas, v0-1 (never flexible), transcribed
// from apache/kafka's clients/src/main/resources/common/message/SaslHandshakeRequest.json and
// SaslHandshakeResponse.json. Owns: the field lists; the value types are inferred from them
// (codec/infer.ts), never written a second time. Must not import anything outside
// wire/ (the browser client shares it).

import { type MessageOf, defineMessage } from '../codec/infer.js';

export const SaslHandshakeRequestCodec = defineMessage({
  name: 'SaslHandshakeRequest',
  apiKey: 17,
  type: 'request',
  validVersions: '0-1',
  flexibleVersions: 'none',
  fields: [{ name: 'mechanism', type: 'string', versions: '0+' }],
});
export type SaslHandshakeRequest = MessageOf<typeof SaslHandshakeRequestCodec>;

export const SaslHandshakeResponseCodec = defineMessage({
  name: 'SaslHandshakeResponse',
  apiKey: 17,
  type: 'response',
  validVersions: '0-1',
  flexibleVersions: 'none',
  fields: [
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'mechanisms', type: '[]string', versions: '0+' },
  ],
});
export type SaslHandshakeResponse = MessageOf<typeof SaslHandshakeResponseCodec>;
