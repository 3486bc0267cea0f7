// ConsumerGroupDescribe (key 69) request and response schemas, v0-1 (flexible from 0),
// transcribed from apache/kafka's clients/src/main/resources/common/message/
// ConsumerGroupDescribeRequest.json and ConsumerGroupDescribeResponse.json (KIP-848;
// v1 adds the member type, KIP-1099). Owns: the field lists; the value types are
// inferred from them (codec/infer.ts). Must not import anything outside wire/.

import { type MessageOf, defineMessage } from '../codec/infer.js';

export const ConsumerGroupDescribeRequestCodec = defineMessage({
  name: 'ConsumerGroupDescribeRequest',
  apiKey: 69,
  type: 'request',
  validVersions: '0-1',
  flexibleVersions: '0+',
  fields: [
    { name: 'groupIds', type: '[]string', versions: '0+' },
    { name: 'includeAuthorizedOperations', type: 'bool', versions: '0+' },
  ],
});
export type ConsumerGroupDescribeRequest = MessageOf<typeof ConsumerGroupDescribeRequestCodec>;

const assignmentFields = [
  {
    name: 'topicPartitions',
    type: '[]TopicPartitions',
    versions: '0+',
    fields: [
      { name: 'topicId', type: 'uuid', versions: '0+' },
      { name: 'topicName', type: 'string', versions: '0+' },
      { name: 'partitions', type: '[]int32', versions: '0+' },
    ],
  },
] as const;

export const ConsumerGroupDescribeResponseCodec = defineMessage({
  name: 'ConsumerGroupDescribeResponse',
  apiKey: 69,
  type: 'response',
  validVersions: '0-1',
  flexibleVersions: '0+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    {
      name: 'groups',
      type: '[]DescribedGroup',
      versions: '0+',
      fields: [
        { name: 'errorCode', type: 'int16', versions: '0+' },
        { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+', default: null },
        { name: 'groupId', type: 'string', versions: '0+' },
        { name: 'groupState', type: 'string', versions: '0+' },
        { name: 'groupEpoch', type: 'int32', versions: '0+' },
        { name: 'assignmentEpoch', type: 'int32', versions: '0+' },
        { name: 'assignorName', type: 'string', versions: '0+' },
        {
          name: 'members',
          type: '[]Member',
          versions: '0+',
          fields: [
            { name: 'memberId', type: 'string', versions: '0+' },
            { name: 'instanceId', type: 'string', versions: '0+', nullableVersions: '0+', default: null },
            { name: 'rackId', type: 'string', versions: '0+', nullableVersions: '0+', default: null },
            { name: 'memberEpoch', type: 'int32', versions: '0+' },
            { name: 'clientId', type: 'string', versions: '0+' },
            { name: 'clientHost', type: 'string', versions: '0+' },
            { name: 'subscribedTopicNames', type: '[]string', versions: '0+' },
            { name: 'subscribedTopicRegex', type: 'string', versions: '0+', nullableVersions: '0+', default: null },
            { name: 'assignment', type: 'Assignment', versions: '0+', fields: assignmentFields },
            { name: 'targetAssignment', type: 'Assignment', versions: '0+', fields: assignmentFields },
            // -1 unknown, 0 classic, 1 consumer (KIP-1099).
            { name: 'memberType', type: 'int8', versions: '1+', default: -1 },
          ],
        },
        { name: 'authorizedOperations', type: 'int32', versions: '0+', default: -2147483648 },
      ],
    },
  ],
});
export type ConsumerGroupDescribeResponse = MessageOf<typeof ConsumerGroupDescribeResponseCodec>;
