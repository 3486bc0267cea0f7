// IncrementalAlterConfigs (key 44) request and response schemas, v0-1 (flexible from 1), transcribed
// from apache/kafka's clients/src/main/resources/common/message/IncrementalAlterConfigsRequest.json and
// IncrementalAlterConfigsResponse.json. Owns: the field lists; the value types are inferred from them
// (codec/infer.ts), never written a second time. Must not import anything outside
// wire/ (the browser client shares it).

import { type MessageOf, defineMessage } from '../codec/infer.js';
import { alterConfigsResponseFields } from './33-alter-configs.js';

/** IncrementalAlterConfigs operations. */
export const AlterConfigOp = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

export const IncrementalAlterConfigsRequestCodec = defineMessage({
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
export type IncrementalAlterConfigsRequest = MessageOf<typeof IncrementalAlterConfigsRequestCodec>;

export const IncrementalAlterConfigsResponseCodec = defineMessage({
  name: 'IncrementalAlterConfigsResponse',
  apiKey: 44,
  type: 'response',
  validVersions: '0-1',
  flexibleVersions: '1+',
  fields: alterConfigsResponseFields,
});
export type IncrementalAlterConfigsResponse = MessageOf<typeof IncrementalAlterConfigsResponseCodec>;
