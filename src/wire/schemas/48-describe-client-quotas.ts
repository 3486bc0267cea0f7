// DescribeClientQuotas (key 48) request and response schemas, v0-1 (flexible from 1), transcribed
// from apache/kafka's clients/src/main/resources/common/message/DescribeClientQuotasRequest.json and
// DescribeClientQuotasResponse.json. Owns: the field lists; the value types are inferred from them
// (codec/infer.ts), never written a second time. Must not import anything outside
// wire/ (the browser client shares it).

import { type MessageOf, defineMessage } from '../codec/infer.js';

/** DescribeClientQuotas component match types. */
export const QuotaMatchType = { EXACT: 0, DEFAULT: 1, SPECIFIED: 2 } as const;

export const DescribeClientQuotasRequestCodec = defineMessage({
  name: 'DescribeClientQuotasRequest',
  apiKey: 48,
  type: 'request',
  validVersions: '0-1',
  flexibleVersions: '1+',
  fields: [
    {
      name: 'components',
      type: '[]ComponentData',
      versions: '0+',
      fields: [
        { name: 'entityType', type: 'string', versions: '0+' },
        { name: 'matchType', type: 'int8', versions: '0+' },
        { name: 'match', type: 'string', versions: '0+', nullableVersions: '0+' },
      ],
    },
    { name: 'strict', type: 'bool', versions: '0+' },
  ],
});
export type DescribeClientQuotasRequest = MessageOf<typeof DescribeClientQuotasRequestCodec>;

export const DescribeClientQuotasResponseCodec = defineMessage({
  name: 'DescribeClientQuotasResponse',
  apiKey: 48,
  type: 'response',
  validVersions: '0-1',
  flexibleVersions: '1+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
    {
      name: 'entries',
      type: '[]EntryData',
      versions: '0+',
      nullableVersions: '0+',
      fields: [
        {
          name: 'entity',
          type: '[]EntityData',
          versions: '0+',
          fields: [
            { name: 'entityType', type: 'string', versions: '0+' },
            { name: 'entityName', type: 'string', versions: '0+', nullableVersions: '0+' },
          ],
        },
        {
          name: 'values',
          type: '[]ValueData',
          versions: '0+',
          fields: [
            { name: 'key', type: 'string', versions: '0+' },
            { name: 'value', type: 'float64', versions: '0+' },
          ],
        },
      ],
    },
  ],
});
export type DescribeClientQuotasResponse = MessageOf<typeof DescribeClientQuotasResponseCodec>;
