// ListGroups (key 16) request and response schemas, v0-5 (flexible from 3; v5 adds the KIP-848
// group type filter and field), transcribed
// from apache/kafka's clients/src/main/resources/common/message/ListGroupsRequest.json and
// ListGroupsResponse.json. Owns: the field lists; the value types are inferred from them
// (codec/infer.ts), never written a second time. Must not import anything outside
// wire/ (the browser client shares it).

import { type MessageOf, defineMessage } from '../codec/infer.js';

export const ListGroupsRequestCodec = defineMessage({
  name: 'ListGroupsRequest',
  apiKey: 16,
  type: 'request',
  validVersions: '0-5',
  flexibleVersions: '3+',
  fields: [
    { name: 'statesFilter', type: '[]string', versions: '4+' },
    { name: 'typesFilter', type: '[]string', versions: '5+' },
  ],
});
export type ListGroupsRequest = MessageOf<typeof ListGroupsRequestCodec>;

export const ListGroupsResponseCodec = defineMessage({
  name: 'ListGroupsResponse',
  apiKey: 16,
  type: 'response',
  validVersions: '0-5',
  flexibleVersions: '3+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+' },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    {
      name: 'groups',
      type: '[]ListedGroup',
      versions: '0+',
      fields: [
        { name: 'groupId', type: 'string', versions: '0+' },
        { name: 'protocolType', type: 'string', versions: '0+' },
        { name: 'groupState', type: 'string', versions: '4+' },
        { name: 'groupType', type: 'string', versions: '5+' },
      ],
    },
  ],
});
export type ListGroupsResponse = MessageOf<typeof ListGroupsResponseCodec>;
