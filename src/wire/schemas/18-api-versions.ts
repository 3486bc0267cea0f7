// ApiVersions (key 18) request and response schemas, v0-5 (flexible from 3), transcribed
// from apache/kafka's clients/src/main/resources/common/message/ApiVersionsRequest.json and
// ApiVersionsResponse.json. Owns: the field lists; the value types are inferred from them
// (codec/infer.ts), never written a second time. Must not import anything outside
// wire/ (the browser client shares it).
//
// v3 is the first flexible version; its response header is still v0 (see headers.ts).
// v4 has v3's fields: it only lets SupportedFeatures carry a minimum version of 0
// (KAFKA-17011), which v3 readers would reject. v5 (KIP-1242) lets the client name the
// cluster and node it means to reach.

import { type MessageOf, defineMessage } from '../codec/infer.js';

export const ApiVersionsRequestCodec = defineMessage({
  name: 'ApiVersionsRequest',
  apiKey: 18,
  type: 'request',
  validVersions: '0-5',
  flexibleVersions: '3+',
  fields: [
    { name: 'clientSoftwareName', type: 'string', versions: '3+' },
    { name: 'clientSoftwareVersion', type: 'string', versions: '3+' },
    { name: 'clusterId', type: 'string', versions: '5+', nullableVersions: '5+', default: null },
    { name: 'nodeId', type: 'int32', versions: '5+', default: -1 },
  ],
});
export type ApiVersionsRequest = MessageOf<typeof ApiVersionsRequestCodec>;

export const ApiVersionsResponseCodec = defineMessage({
  name: 'ApiVersionsResponse',
  apiKey: 18,
  type: 'response',
  validVersions: '0-5',
  flexibleVersions: '3+',
  fields: [
    { name: 'errorCode', type: 'int16', versions: '0+' },
    {
      name: 'apiKeys',
      type: '[]ApiVersion',
      versions: '0+',
      fields: [
        { name: 'apiKey', type: 'int16', versions: '0+' },
        { name: 'minVersion', type: 'int16', versions: '0+' },
        { name: 'maxVersion', type: 'int16', versions: '0+' },
      ],
    },
    { name: 'throttleTimeMs', type: 'int32', versions: '1+' },
    {
      name: 'supportedFeatures',
      type: '[]SupportedFeatureKey',
      versions: '3+',
      taggedVersions: '3+',
      tag: 0,
      fields: [
        { name: 'name', type: 'string', versions: '3+' },
        { name: 'minVersion', type: 'int16', versions: '3+' },
        { name: 'maxVersion', type: 'int16', versions: '3+' },
      ],
    },
    { name: 'finalizedFeaturesEpoch', type: 'int64', versions: '3+', taggedVersions: '3+', tag: 1, default: -1 },
    {
      name: 'finalizedFeatures',
      type: '[]FinalizedFeatureKey',
      versions: '3+',
      taggedVersions: '3+',
      tag: 2,
      fields: [
        { name: 'name', type: 'string', versions: '3+' },
        { name: 'maxVersionLevel', type: 'int16', versions: '3+' },
        { name: 'minVersionLevel', type: 'int16', versions: '3+' },
      ],
    },
    { name: 'zkMigrationReady', type: 'bool', versions: '3+', taggedVersions: '3+', tag: 3, default: false },
  ],
});
export type ApiVersionsResponse = MessageOf<typeof ApiVersionsResponseCodec>;
