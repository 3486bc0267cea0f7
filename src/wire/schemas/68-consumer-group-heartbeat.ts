// ConsumerGroupHeartbeat (key 68) request and response schemas, v0-1 (flexible from 0),
// transcribed from apache/kafka's clients/src/main/resources/common/message/
// ConsumerGroupHeartbeatRequest.json and ConsumerGroupHeartbeatResponse.json (KIP-848;
// v1 adds SubscribedTopicRegex). Owns: the field lists; the value types are inferred
// from them (codec/infer.ts). Must not import anything outside wire/ (the browser
// client shares it).

import { type MessageOf, defineMessage } from '../codec/infer.js';

const topicPartitionsFields = [
  { name: 'topicId', type: 'uuid', versions: '0+' },
  { name: 'partitions', type: '[]int32', versions: '0+' },
] as const;

export const ConsumerGroupHeartbeatRequestCodec = defineMessage({
  name: 'ConsumerGroupHeartbeatRequest',
  apiKey: 68,
  type: 'request',
  validVersions: '0-1',
  flexibleVersions: '0+',
  fields: [
    { name: 'groupId', type: 'string', versions: '0+' },
    { name: 'memberId', type: 'string', versions: '0+' },
    { name: 'memberEpoch', type: 'int32', versions: '0+' },
    { name: 'instanceId', type: 'string', versions: '0+', nullableVersions: '0+', default: null },
    { name: 'rackId', type: 'string', versions: '0+', nullableVersions: '0+', default: null },
    { name: 'rebalanceTimeoutMs', type: 'int32', versions: '0+', default: -1 },
    { name: 'subscribedTopicNames', type: '[]string', versions: '0+', nullableVersions: '0+', default: null },
    { name: 'subscribedTopicRegex', type: 'string', versions: '1+', nullableVersions: '1+', default: null },
    { name: 'serverAssignor', type: 'string', versions: '0+', nullableVersions: '0+', default: null },
    { name: 'topicPartitions', type: '[]TopicPartitions', versions: '0+', nullableVersions: '0+', default: null, fields: topicPartitionsFields },
  ],
});
export type ConsumerGroupHeartbeatRequest = MessageOf<typeof ConsumerGroupHeartbeatRequestCodec>;

export const ConsumerGroupHeartbeatResponseCodec = defineMessage({
  name: 'ConsumerGroupHeartbeatResponse',
  apiKey: 68,
  type: 'response',
  validVersions: '0-1',
  flexibleVersions: '0+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+', default: null },
    { name: 'memberId', type: 'string', versions: '0+', nullableVersions: '0+', default: null },
    { name: 'memberEpoch', type: 'int32', versions: '0+' },
    { name: 'heartbeatIntervalMs', type: 'int32', versions: '0+' },
    {
      name: 'assignment',
      type: 'Assignment',
      versions: '0+',
      nullableVersions: '0+',
      default: null,
      fields: [{ name: 'topicPartitions', type: '[]TopicPartitions', versions: '0+', fields: topicPartitionsFields }],
    },
  ],
});
export type ConsumerGroupHeartbeatResponse = MessageOf<typeof ConsumerGroupHeartbeatResponseCodec>;
