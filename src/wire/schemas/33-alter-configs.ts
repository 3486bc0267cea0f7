// AlterConfigs (key 33) request and response schemas, v0-2 (flexible from 2), transcribed
// from apache/kafka's clients/src/main/resources/common/message/AlterConfigsRequest.json and
// AlterConfigsResponse.json. Owns: the field lists; the value types are inferred from them
// (codec/infer.ts), never written a second time. Must not import anything outside
// wire/ (the browser client shares it).

import { type MessageOf, defineMessage } from '../codec/infer.js';

/** AlterConfigs and IncrementalAlterConfigs answer with the same fields. */
export const alterConfigsResponseFields = [
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

export const AlterConfigsRequestCodec = defineMessage({
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
export type AlterConfigsRequest = MessageOf<typeof AlterConfigsRequestCodec>;

export const AlterConfigsResponseCodec = defineMessage({
  name: 'AlterConfigsResponse',
  apiKey: 33,
  type: 'response',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: alterConfigsResponseFields,
});
export type AlterConfigsResponse = MessageOf<typeof AlterConfigsResponseCodec>;

export type AlterConfigsResourceResponse = AlterConfigsResponse['responses'][number];
