// SaslAuthenticate (key 36) request and response schemas, v0-2 (flexible from 2), transcribed
// from apache/kafka's clients/src/main/resources/common/message/SaslAuthenticateRequest.json and
// SaslAuthenticateResponse.json. Owns: the field lists; the value types are inferred from them
// (codec/infer.ts), never written a second time. Must not import anything outside
// wire/ (the browser client shares it).

import { type MessageOf, defineMessage } from '../codec/infer.js';

export const SaslAuthenticateRequestCodec = defineMessage({
  name: 'SaslAuthenticateRequest',
  apiKey: 36,
  type: 'request',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [{ name: 'authBytes', type: 'bytes', versions: '0+' }],
});
export type SaslAuthenticateRequest = MessageOf<typeof SaslAuthenticateRequestCodec>;

export const SaslAuthenticateResponseCodec = defineMessage({
  name: 'SaslAuthenticateResponse',
  apiKey: 36,
  type: 'response',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
    { name: 'authBytes', type: 'bytes', versions: '0+' },
    // KIP-368: how long the authenticated session lasts (0 = no limit).
    { name: 'sessionLifetimeMs', type: 'int64', versions: '1+', default: 0 },
  ],
});
export type SaslAuthenticateResponse = MessageOf<typeof SaslAuthenticateResponseCodec>;
