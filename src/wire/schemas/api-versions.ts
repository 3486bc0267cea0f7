// ApiVersions (key 18) request/response schemas, from ApiVersionsRequest.json and
// ApiVersionsResponse.json. Owns: layouts and value types only (shared with the client).
// v3 is the first flexible version; its response header is still v0 (see headers.ts).

import { MessageCodec } from '../codec/compile.js';

export interface ApiVersionsRequest {
  clientSoftwareName: string;
  clientSoftwareVersion: string;
}

export interface ApiVersionEntry {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

export interface ApiVersionsResponse {
  errorCode: number;
  apiKeys: ApiVersionEntry[];
  throttleTimeMs: number;
  supportedFeatures?: Array<{ name: string; minVersion: number; maxVersion: number }>;
  finalizedFeaturesEpoch?: number;
  finalizedFeatures?: Array<{ name: string; maxVersionLevel: number; minVersionLevel: number }>;
  zkMigrationReady?: boolean;
}

export const ApiVersionsRequestCodec = new MessageCodec<ApiVersionsRequest>({
  name: 'ApiVersionsRequest',
  apiKey: 18,
  type: 'request',
  validVersions: '0-3',
  flexibleVersions: '3+',
  fields: [
    { name: 'clientSoftwareName', type: 'string', versions: '3+' },
    { name: 'clientSoftwareVersion', type: 'string', versions: '3+' },
  ],
});

export const ApiVersionsResponseCodec = new MessageCodec<ApiVersionsResponse>({
  name: 'ApiVersionsResponse',
  apiKey: 18,
  type: 'response',
  validVersions: '0-3',
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
