// AlterConfigs (key 33, v0-2) and IncrementalAlterConfigs (key 44, v0-1) schemas,
// from the matching apache/kafka message JSON files. Owns: layouts and value types
// only (shared with the client). Flexible from AlterConfigs v2, IncrementalAlterConfigs v1.

import { MessageCodec } from '../codec/compile.js';

export interface AlterConfigsRequest {
  resources: Array<{ resourceType: number; resourceName: string; configs: Array<{ name: string; value: string | null }> }>;
  validateOnly: boolean;
}

/** IncrementalAlterConfigs operations. */
export const AlterConfigOp = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

export interface IncrementalAlterConfigsRequest {
  resources: Array<{ resourceType: number; resourceName: string; configs: Array<{ name: string; configOperation: number; value: string | null }> }>;
  validateOnly: boolean;
}

export interface AlterConfigsResourceResponse {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
}

export interface AlterConfigsResponse {
  throttleTimeMs: number;
  responses: AlterConfigsResourceResponse[];
}

const responseFields = [
  { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
  {
    name: 'responses',
    type: '[]AlterConfigsResourceResponse',
    versions: '0+',
    fields: [
      { name: 'errorCode', type: 'int16', versions: '0+' },
      { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
      { name: 'resourceType', type: 'int8', versions: '0+' },
      { name: 'resourceName', type: 'string', versions: '0+' },
    ],
  },
] as const;

export const AlterConfigsRequestCodec = new MessageCodec<AlterConfigsRequest>({
  name: 'AlterConfigsRequest',
  apiKey: 33,
  type: 'request',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    {
      name: 'resources',
      type: '[]AlterConfigsResource',
      versions: '0+',
      fields: [
        { name: 'resourceType', type: 'int8', versions: '0+' },
        { name: 'resourceName', type: 'string', versions: '0+' },
        {
          name: 'configs',
          type: '[]AlterableConfig',
          versions: '0+',
          fields: [
            { name: 'name', type: 'string', versions: '0+' },
            { name: 'value', type: 'string', versions: '0+', nullableVersions: '0+' },
          ],
        },
      ],
    },
    { name: 'validateOnly', type: 'bool', versions: '0+' },
  ],
});

export const AlterConfigsResponseCodec = new MessageCodec<AlterConfigsResponse>({
  name: 'AlterConfigsResponse',
  apiKey: 33,
  type: 'response',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: responseFields,
});

export const IncrementalAlterConfigsRequestCodec = new MessageCodec<IncrementalAlterConfigsRequest>({
  name: 'IncrementalAlterConfigsRequest',
  apiKey: 44,
  type: 'request',
  validVersions: '0-1',
  flexibleVersions: '1+',
  fields: [
    {
      name: 'resources',
      type: '[]AlterConfigsResource',
      versions: '0+',
      fields: [
        { name: 'resourceType', type: 'int8', versions: '0+' },
        { name: 'resourceName', type: 'string', versions: '0+' },
        {
          name: 'configs',
          type: '[]AlterableConfig',
          versions: '0+',
          fields: [
            { name: 'name', type: 'string', versions: '0+' },
            { name: 'configOperation', type: 'int8', versions: '0+' },
            { name: 'value', type: 'string', versions: '0+', nullableVersions: '0+' },
          ],
        },
      ],
    },
    { name: 'validateOnly', type: 'bool', versions: '0+' },
  ],
});

export const IncrementalAlterConfigsResponseCodec = new MessageCodec<AlterConfigsResponse>({
  name: 'IncrementalAlterConfigsResponse',
  apiKey: 44,
  type: 'response',
  validVersions: '0-1',
  flexibleVersions: '1+',
  fields: responseFields,
});
