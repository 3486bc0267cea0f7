// AlterClientQuotas (key 49) request and response schemas, v0-1 (flexible from 1), transcribed
// from apache/kafka's clients/src/main/resources/common/message/AlterClientQuotasRequest.json and
// AlterClientQuotasResponse.json. Owns: the field lists; the value types are inferred from them
// (codec/infer.ts), never written a second time. Must not import anything outside
// wire/ (the browser client shares it).

import { type MessageOf, defineMessage } from '../codec/infer.js';

const entityFields = [
  { name: 'entityType', type: 'string', versions: '0+' },
  { name: 'entityName', type: 'string', versions: '0+', nullableVersions: '0+' },
] as const;

export const AlterClientQuotasRequestCodec = defineMessage({
  name: 'AlterClientQuotasRequest',
  apiKey: 49,
  type: 'request',
  validVersions: '0-1',
  flexibleVersions: '1+',
  fields: [
    {
      name: 'entries',
      type: '[]EntryData',
      versions: '0+',
      fields: [
        { name: 'entity', type: '[]EntityData', versions: '0+', fields: entityFields },
        {
          name: 'ops',
          type: '[]OpData',
          versions: '0+',
          fields: [
            { name: 'key', type: 'string', versions: '0+' },
            { name: 'value', type: 'float64', versions: '0+' },
            { name: 'remove', type: 'bool', versions: '0+' },
          ],
        },
      ],
    },
    { name: 'validateOnly', type: 'bool', versions: '0+' },
  ],
});
export type AlterClientQuotasRequest = MessageOf<typeof AlterClientQuotasRequestCodec>;

export const AlterClientQuotasResponseCodec = defineMessage({
  name: 'AlterClientQuotasResponse',
  apiKey: 49,
  type: 'response',
  validVersions: '0-1',
  flexibleVersions: '1+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    {
      name: 'entries',
      type: '[]EntryData',
      versions: '0+',
      fields: [
        { name: 'errorCode', type: 'int16', versions: '0+' },
        { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
        { name: 'entity', type: '[]EntityData', versions: '0+', fields: entityFields },
      ],
    },
  ],
});
export type AlterClientQuotasResponse = MessageOf<typeof AlterClientQuotasResponseCodec>;
