// DescribeUserScramCredentials (key 50) request and response schemas, v0 (flexible from 0),
// transcribed from apache/kafka's clients/src/main/resources/common/message/
// DescribeUserScramCredentialsRequest.json and DescribeUserScramCredentialsResponse.json.
// Owns: the field lists; the value types are inferred from them (codec/infer.ts), never
// written a second time. Must not import anything outside wire/ (the browser client shares it).

import { type MessageOf, defineMessage } from '../codec/infer.js';

/** The ScramMechanism codes of Kafka's admin API. */
export const ScramMechanismCode = { UNKNOWN: 0, SCRAM_SHA_256: 1, SCRAM_SHA_512: 2 } as const;

export const DescribeUserScramCredentialsRequestCodec = defineMessage({
  name: 'DescribeUserScramCredentialsRequest',
  apiKey: 50,
  type: 'request',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    // null: every user with a credential.
    { name: 'users', type: '[]UserName', versions: '0+', nullableVersions: '0+', fields: [{ name: 'name', type: 'string', versions: '0+' }] },
  ],
});
export type DescribeUserScramCredentialsRequest = MessageOf<typeof DescribeUserScramCredentialsRequestCodec>;

export const DescribeUserScramCredentialsResponseCodec = defineMessage({
  name: 'DescribeUserScramCredentialsResponse',
  apiKey: 50,
  type: 'response',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
    {
      name: 'results',
      type: '[]DescribeUserScramCredentialsResult',
      versions: '0+',
      fields: [
        { name: 'user', type: 'string', versions: '0+' },
        { name: 'errorCode', type: 'int16', versions: '0+' },
        { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
        {
          name: 'credentialInfos',
          type: '[]CredentialInfo',
          versions: '0+',
          fields: [
            { name: 'mechanism', type: 'int8', versions: '0+' },
            { name: 'iterations', type: 'int32', versions: '0+' },
          ],
        },
      ],
    },
  ],
});
export type DescribeUserScramCredentialsResponse = MessageOf<typeof DescribeUserScramCredentialsResponseCodec>;
