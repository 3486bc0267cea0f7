// AlterUserScramCredentials (key 51) request and response schemas, v0 (flexible from 0),
// transcribed from apache/kafka's clients/src/main/resources/common/message/
// AlterUserScramCredentialsRequest.json and AlterUserScramCredentialsResponse.json.
// Owns: the field lists; the value types are inferred from them (codec/infer.ts), never
// written a second time. Must not import anything outside wire/ (the browser client shares it).
//
// The client sends the salted password (Hi(password, salt, i)), never the password.

import { type MessageOf, defineMessage } from '../codec/infer.js';

export const AlterUserScramCredentialsRequestCodec = defineMessage({
  name: 'AlterUserScramCredentialsRequest',
  apiKey: 51,
  type: 'request',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    {
      name: 'deletions',
      type: '[]ScramCredentialDeletion',
      versions: '0+',
      fields: [
        { name: 'name', type: 'string', versions: '0+' },
        { name: 'mechanism', type: 'int8', versions: '0+' },
      ],
    },
    {
      name: 'upsertions',
      type: '[]ScramCredentialUpsertion',
      versions: '0+',
      fields: [
        { name: 'name', type: 'string', versions: '0+' },
        { name: 'mechanism', type: 'int8', versions: '0+' },
        { name: 'iterations', type: 'int32', versions: '0+' },
        { name: 'salt', type: 'bytes', versions: '0+' },
        { name: 'saltedPassword', type: 'bytes', versions: '0+' },
      ],
    },
  ],
});
export type AlterUserScramCredentialsRequest = MessageOf<typeof AlterUserScramCredentialsRequestCodec>;

export const AlterUserScramCredentialsResponseCodec = defineMessage({
  name: 'AlterUserScramCredentialsResponse',
  apiKey: 51,
  type: 'response',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    {
      name: 'results',
      type: '[]AlterUserScramCredentialsResult',
      versions: '0+',
      fields: [
        { name: 'user', type: 'string', versions: '0+' },
        { name: 'errorCode', type: 'int16', versions: '0+' },
        { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
      ],
    },
  ],
});
export type AlterUserScramCredentialsResponse = MessageOf<typeof AlterUserScramCredentialsResponseCodec>;
