// DeleteGroups (key 42) request and response schemas, v0-3 (flexible from 2), transcribed
// from apache/kafka's clients/src/main/resources/common/message/DeleteGroupsRequest.json and
// DeleteGroupsResponse.json. Owns: the field lists; the value types are inferred from them
// (codec/infer.ts), never written a second time. Must not import anything outside
// wire/ (the browser client shares it).

import { type MessageOf, defineMessage } from '../codec/infer.js';

export const DeleteGroupsRequestCodec = defineMessage({
  name: 'DeleteGroupsRequest',
  apiKey: 42,
  type: 'request',
  validVersions: '0-3',
  flexibleVersions: '2+',
  fields: [{ name: 'groupsNames', type: '[]string', versions: '0+' }],
});
export type DeleteGroupsRequest = MessageOf<typeof DeleteGroupsRequestCodec>;

export const DeleteGroupsResponseCodec = defineMessage({
  name: 'DeleteGroupsResponse',
  apiKey: 42,
  type: 'response',
  validVersions: '0-3',
  flexibleVersions: '2+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    {
      name: 'results',
      type: '[]DeletableGroupResult',
      versions: '0+',
      fields: [
        { name: 'groupId', type: 'string', versions: '0+' },
        { name: 'errorCode', type: 'int16', versions: '0+' },
        { name: 'errorMessage', type: 'string', versions: '3+', nullableVersions: '3+', default: null },
      ],
    },
  ],
});
export type DeleteGroupsResponse = MessageOf<typeof DeleteGroupsResponseCodec>;
