// Consumer group schemas, transcribed from apache/kafka's message JSON files:
// JoinGroup (11, v0-9), Heartbeat (12, v0-4), LeaveGroup (13, v0-5), SyncGroup
// (14, v0-5), OffsetCommit (8, v0-8), OffsetFetch (9, v0-8), ListGroups (16,
// v0-4), DescribeGroups (15, v0-5), DeleteGroups (42, v0-2).
// Owns: layouts and value types only (shared with the client).
// Flexible from: JoinGroup 6, Heartbeat 4, LeaveGroup 4, SyncGroup 4, OffsetCommit 8,
// OffsetFetch 6, ListGroups 3, DescribeGroups 5, DeleteGroups 2.

import { MessageCodec } from '../codec/compile.js';

export interface JoinGroupRequest {
  groupId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string;
  protocols: Array<{ name: string; metadata: Uint8Array }>;
  reason: string | null;
}

export interface JoinGroupResponseMember {
  memberId: string;
  groupInstanceId: string | null;
  metadata: Uint8Array;
}

export interface JoinGroupResponse {
  throttleTimeMs: number;
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  skipAssignment: boolean;
  memberId: string;
  members: JoinGroupResponseMember[];
}

export const JoinGroupRequestCodec = new MessageCodec<JoinGroupRequest>({
  name: 'JoinGroupRequest',
  apiKey: 11,
  type: 'request',
  validVersions: '0-9',
  flexibleVersions: '6+',
  fields: [
    { name: 'groupId', type: 'string', versions: '0+' },
    { name: 'sessionTimeoutMs', type: 'int32', versions: '0+' },
    { name: 'rebalanceTimeoutMs', type: 'int32', versions: '1+', default: -1 },
    { name: 'memberId', type: 'string', versions: '0+' },
    { name: 'groupInstanceId', type: 'string', versions: '5+', nullableVersions: '5+', default: null },
    { name: 'protocolType', type: 'string', versions: '0+' },
    {
      name: 'protocols',
      type: '[]JoinGroupRequestProtocol',
      versions: '0+',
      fields: [
        { name: 'name', type: 'string', versions: '0+' },
        { name: 'metadata', type: 'bytes', versions: '0+' },
      ],
    },
    { name: 'reason', type: 'string', versions: '8+', nullableVersions: '8+', default: null },
  ],
});

export const JoinGroupResponseCodec = new MessageCodec<JoinGroupResponse>({
  name: 'JoinGroupResponse',
  apiKey: 11,
  type: 'response',
  validVersions: '0-9',
  flexibleVersions: '6+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '2+' },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'generationId', type: 'int32', versions: '0+', default: -1 },
    { name: 'protocolType', type: 'string', versions: '7+', nullableVersions: '7+', default: null },
    { name: 'protocolName', type: 'string', versions: '0+', nullableVersions: '7+' },
    { name: 'leader', type: 'string', versions: '0+' },
    { name: 'skipAssignment', type: 'bool', versions: '9+', default: false },
    { name: 'memberId', type: 'string', versions: '0+' },
    {
      name: 'members',
      type: '[]JoinGroupResponseMember',
      versions: '0+',
      fields: [
        { name: 'memberId', type: 'string', versions: '0+' },
        { name: 'groupInstanceId', type: 'string', versions: '5+', nullableVersions: '5+', default: null },
        { name: 'metadata', type: 'bytes', versions: '0+' },
      ],
    },
  ],
});

export interface HeartbeatRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface HeartbeatResponse {
  throttleTimeMs: number;
  errorCode: number;
}

export const HeartbeatRequestCodec = new MessageCodec<HeartbeatRequest>({
  name: 'HeartbeatRequest',
  apiKey: 12,
  type: 'request',
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [
    { name: 'groupId', type: 'string', versions: '0+' },
    { name: 'generationId', type: 'int32', versions: '0+' },
    { name: 'memberId', type: 'string', versions: '0+' },
    { name: 'groupInstanceId', type: 'string', versions: '3+', nullableVersions: '3+', default: null },
  ],
});

export const HeartbeatResponseCodec = new MessageCodec<HeartbeatResponse>({
  name: 'HeartbeatResponse',
  apiKey: 12,
  type: 'response',
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+' },
    { name: 'errorCode', type: 'int16', versions: '0+' },
  ],
});

export interface LeaveGroupRequest {
  groupId: string;
  memberId: string;
  members: Array<{ memberId: string; groupInstanceId: string | null; reason: string | null }>;
}

export interface LeaveGroupResponse {
  throttleTimeMs: number;
  errorCode: number;
  members: Array<{ memberId: string; groupInstanceId: string | null; errorCode: number }>;
}

export const LeaveGroupRequestCodec = new MessageCodec<LeaveGroupRequest>({
  name: 'LeaveGroupRequest',
  apiKey: 13,
  type: 'request',
  validVersions: '0-5',
  flexibleVersions: '4+',
  fields: [
    { name: 'groupId', type: 'string', versions: '0+' },
    { name: 'memberId', type: 'string', versions: '0-2' },
    {
      name: 'members',
      type: '[]MemberIdentity',
      versions: '3+',
      fields: [
        { name: 'memberId', type: 'string', versions: '3+' },
        { name: 'groupInstanceId', type: 'string', versions: '3+', nullableVersions: '3+', default: null },
        { name: 'reason', type: 'string', versions: '5+', nullableVersions: '5+', default: null },
      ],
    },
  ],
});

export const LeaveGroupResponseCodec = new MessageCodec<LeaveGroupResponse>({
  name: 'LeaveGroupResponse',
  apiKey: 13,
  type: 'response',
  validVersions: '0-5',
  flexibleVersions: '4+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+' },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    {
      name: 'members',
      type: '[]MemberResponse',
      versions: '3+',
      fields: [
        { name: 'memberId', type: 'string', versions: '3+' },
        { name: 'groupInstanceId', type: 'string', versions: '3+', nullableVersions: '3+' },
        { name: 'errorCode', type: 'int16', versions: '3+' },
      ],
    },
  ],
});

export interface SyncGroupRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  assignments: Array<{ memberId: string; assignment: Uint8Array }>;
}

export interface SyncGroupResponse {
  throttleTimeMs: number;
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Uint8Array;
}

export const SyncGroupRequestCodec = new MessageCodec<SyncGroupRequest>({
  name: 'SyncGroupRequest',
  apiKey: 14,
  type: 'request',
  validVersions: '0-5',
  flexibleVersions: '4+',
  fields: [
    { name: 'groupId', type: 'string', versions: '0+' },
    { name: 'generationId', type: 'int32', versions: '0+' },
    { name: 'memberId', type: 'string', versions: '0+' },
    { name: 'groupInstanceId', type: 'string', versions: '3+', nullableVersions: '3+', default: null },
    { name: 'protocolType', type: 'string', versions: '5+', nullableVersions: '5+', default: null },
    { name: 'protocolName', type: 'string', versions: '5+', nullableVersions: '5+', default: null },
    {
      name: 'assignments',
      type: '[]SyncGroupRequestAssignment',
      versions: '0+',
      fields: [
        { name: 'memberId', type: 'string', versions: '0+' },
        { name: 'assignment', type: 'bytes', versions: '0+' },
      ],
    },
  ],
});

export const SyncGroupResponseCodec = new MessageCodec<SyncGroupResponse>({
  name: 'SyncGroupResponse',
  apiKey: 14,
  type: 'response',
  validVersions: '0-5',
  flexibleVersions: '4+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+' },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'protocolType', type: 'string', versions: '5+', nullableVersions: '5+', default: null },
    { name: 'protocolName', type: 'string', versions: '5+', nullableVersions: '5+', default: null },
    { name: 'assignment', type: 'bytes', versions: '0+' },
  ],
});

export interface OffsetCommitRequestPartition {
  partitionIndex: number;
  committedOffset: number;
  committedLeaderEpoch: number;
  commitTimestamp: number;
  committedMetadata: string | null;
}

export interface OffsetCommitRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  retentionTimeMs: number;
  topics: Array<{ name: string; partitions: OffsetCommitRequestPartition[] }>;
}

export interface OffsetCommitResponse {
  throttleTimeMs: number;
  topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; errorCode: number }> }>;
}

export const OffsetCommitRequestCodec = new MessageCodec<OffsetCommitRequest>({
  name: 'OffsetCommitRequest',
  apiKey: 8,
  type: 'request',
  validVersions: '0-8',
  flexibleVersions: '8+',
  fields: [
    { name: 'groupId', type: 'string', versions: '0+' },
    { name: 'generationId', type: 'int32', versions: '1+', default: -1 },
    { name: 'memberId', type: 'string', versions: '1+', default: '' },
    { name: 'groupInstanceId', type: 'string', versions: '7+', nullableVersions: '7+', default: null },
    { name: 'retentionTimeMs', type: 'int64', versions: '2-4', default: -1 },
    {
      name: 'topics',
      type: '[]OffsetCommitRequestTopic',
      versions: '0+',
      fields: [
        { name: 'name', type: 'string', versions: '0+' },
        {
          name: 'partitions',
          type: '[]OffsetCommitRequestPartition',
          versions: '0+',
          fields: [
            { name: 'partitionIndex', type: 'int32', versions: '0+' },
            { name: 'committedOffset', type: 'int64', versions: '0+' },
            { name: 'committedLeaderEpoch', type: 'int32', versions: '6+', default: -1 },
            { name: 'commitTimestamp', type: 'int64', versions: '1', default: -1 },
            { name: 'committedMetadata', type: 'string', versions: '0+', nullableVersions: '0+' },
          ],
        },
      ],
    },
  ],
});

export const OffsetCommitResponseCodec = new MessageCodec<OffsetCommitResponse>({
  name: 'OffsetCommitResponse',
  apiKey: 8,
  type: 'response',
  validVersions: '0-8',
  flexibleVersions: '8+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '3+' },
    {
      name: 'topics',
      type: '[]OffsetCommitResponseTopic',
      versions: '0+',
      fields: [
        { name: 'name', type: 'string', versions: '0+' },
        {
          name: 'partitions',
          type: '[]OffsetCommitResponsePartition',
          versions: '0+',
          fields: [
            { name: 'partitionIndex', type: 'int32', versions: '0+' },
            { name: 'errorCode', type: 'int16', versions: '0+' },
          ],
        },
      ],
    },
  ],
});

export interface OffsetFetchRequestTopic {
  name: string;
  partitionIndexes: number[];
}

export interface OffsetFetchRequest {
  groupId: string;
  topics: OffsetFetchRequestTopic[] | null;
  groups: Array<{ groupId: string; topics: OffsetFetchRequestTopic[] | null }>;
  requireStable: boolean;
}

export interface OffsetFetchResponsePartition {
  partitionIndex: number;
  committedOffset: number;
  committedLeaderEpoch: number;
  metadata: string | null;
  errorCode: number;
}

export interface OffsetFetchResponseTopic {
  name: string;
  partitions: OffsetFetchResponsePartition[];
}

export interface OffsetFetchResponse {
  throttleTimeMs: number;
  topics: OffsetFetchResponseTopic[];
  errorCode: number;
  groups: Array<{ groupId: string; topics: OffsetFetchResponseTopic[]; errorCode: number }>;
}

const offsetFetchPartitionFields = (v: string) =>
  [
    { name: 'partitionIndex', type: 'int32', versions: v },
    { name: 'committedOffset', type: 'int64', versions: v },
    { name: 'committedLeaderEpoch', type: 'int32', versions: v === '8+' ? '8+' : '5-7', default: -1 },
    { name: 'metadata', type: 'string', versions: v, nullableVersions: '0+' },
    { name: 'errorCode', type: 'int16', versions: v },
  ] as const;

export const OffsetFetchRequestCodec = new MessageCodec<OffsetFetchRequest>({
  name: 'OffsetFetchRequest',
  apiKey: 9,
  type: 'request',
  validVersions: '0-8',
  flexibleVersions: '6+',
  fields: [
    { name: 'groupId', type: 'string', versions: '0-7' },
    {
      name: 'topics',
      type: '[]OffsetFetchRequestTopic',
      versions: '0-7',
      nullableVersions: '2-7',
      fields: [
        { name: 'name', type: 'string', versions: '0-7' },
        { name: 'partitionIndexes', type: '[]int32', versions: '0-7' },
      ],
    },
    {
      name: 'groups',
      type: '[]OffsetFetchRequestGroup',
      versions: '8+',
      fields: [
        { name: 'groupId', type: 'string', versions: '8+' },
        {
          name: 'topics',
          type: '[]OffsetFetchRequestTopics',
          versions: '8+',
          nullableVersions: '8+',
          fields: [
            { name: 'name', type: 'string', versions: '8+' },
            { name: 'partitionIndexes', type: '[]int32', versions: '8+' },
          ],
        },
      ],
    },
    { name: 'requireStable', type: 'bool', versions: '7+', default: false },
  ],
});

export const OffsetFetchResponseCodec = new MessageCodec<OffsetFetchResponse>({
  name: 'OffsetFetchResponse',
  apiKey: 9,
  type: 'response',
  validVersions: '0-8',
  flexibleVersions: '6+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '3+' },
    {
      name: 'topics',
      type: '[]OffsetFetchResponseTopic',
      versions: '0-7',
      fields: [
        { name: 'name', type: 'string', versions: '0-7' },
        { name: 'partitions', type: '[]OffsetFetchResponsePartition', versions: '0-7', fields: offsetFetchPartitionFields('0-7') },
      ],
    },
    { name: 'errorCode', type: 'int16', versions: '2-7' },
    {
      name: 'groups',
      type: '[]OffsetFetchResponseGroup',
      versions: '8+',
      fields: [
        { name: 'groupId', type: 'string', versions: '8+' },
        {
          name: 'topics',
          type: '[]OffsetFetchResponseTopics',
          versions: '8+',
          fields: [
            { name: 'name', type: 'string', versions: '8+' },
            { name: 'partitions', type: '[]OffsetFetchResponsePartitions', versions: '8+', fields: offsetFetchPartitionFields('8+') },
          ],
        },
        { name: 'errorCode', type: 'int16', versions: '8+' },
      ],
    },
  ],
});

export interface ListGroupsRequest {
  statesFilter: string[];
}

export interface ListGroupsResponse {
  throttleTimeMs: number;
  errorCode: number;
  groups: Array<{ groupId: string; protocolType: string; groupState: string }>;
}

export const ListGroupsRequestCodec = new MessageCodec<ListGroupsRequest>({
  name: 'ListGroupsRequest',
  apiKey: 16,
  type: 'request',
  validVersions: '0-4',
  flexibleVersions: '3+',
  fields: [{ name: 'statesFilter', type: '[]string', versions: '4+' }],
});

export const ListGroupsResponseCodec = new MessageCodec<ListGroupsResponse>({
  name: 'ListGroupsResponse',
  apiKey: 16,
  type: 'response',
  validVersions: '0-4',
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
      ],
    },
  ],
});

export interface DescribeGroupsRequest {
  groups: string[];
  includeAuthorizedOperations: boolean;
}

export interface DescribedGroupMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  memberMetadata: Uint8Array;
  memberAssignment: Uint8Array;
}

export interface DescribedGroup {
  errorCode: number;
  groupId: string;
  groupState: string;
  protocolType: string;
  protocolData: string;
  members: DescribedGroupMember[];
  authorizedOperations: number;
}

export interface DescribeGroupsResponse {
  throttleTimeMs: number;
  groups: DescribedGroup[];
}

export const DescribeGroupsRequestCodec = new MessageCodec<DescribeGroupsRequest>({
  name: 'DescribeGroupsRequest',
  apiKey: 15,
  type: 'request',
  validVersions: '0-5',
  flexibleVersions: '5+',
  fields: [
    { name: 'groups', type: '[]string', versions: '0+' },
    { name: 'includeAuthorizedOperations', type: 'bool', versions: '3+' },
  ],
});

export const DescribeGroupsResponseCodec = new MessageCodec<DescribeGroupsResponse>({
  name: 'DescribeGroupsResponse',
  apiKey: 15,
  type: 'response',
  validVersions: '0-5',
  flexibleVersions: '5+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+' },
    {
      name: 'groups',
      type: '[]DescribedGroup',
      versions: '0+',
      fields: [
        { name: 'errorCode', type: 'int16', versions: '0+' },
        { name: 'groupId', type: 'string', versions: '0+' },
        { name: 'groupState', type: 'string', versions: '0+' },
        { name: 'protocolType', type: 'string', versions: '0+' },
        { name: 'protocolData', type: 'string', versions: '0+' },
        {
          name: 'members',
          type: '[]DescribedGroupMember',
          versions: '0+',
          fields: [
            { name: 'memberId', type: 'string', versions: '0+' },
            { name: 'groupInstanceId', type: 'string', versions: '4+', nullableVersions: '4+', default: null },
            { name: 'clientId', type: 'string', versions: '0+' },
            { name: 'clientHost', type: 'string', versions: '0+' },
            { name: 'memberMetadata', type: 'bytes', versions: '0+' },
            { name: 'memberAssignment', type: 'bytes', versions: '0+' },
          ],
        },
        { name: 'authorizedOperations', type: 'int32', versions: '3+', default: -2147483648 },
      ],
    },
  ],
});

export interface DeleteGroupsRequest {
  groupsNames: string[];
}

export interface DeleteGroupsResponse {
  throttleTimeMs: number;
  results: Array<{ groupId: string; errorCode: number }>;
}

export const DeleteGroupsRequestCodec = new MessageCodec<DeleteGroupsRequest>({
  name: 'DeleteGroupsRequest',
  apiKey: 42,
  type: 'request',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [{ name: 'groupsNames', type: '[]string', versions: '0+' }],
});

export const DeleteGroupsResponseCodec = new MessageCodec<DeleteGroupsResponse>({
  name: 'DeleteGroupsResponse',
  apiKey: 42,
  type: 'response',
  validVersions: '0-2',
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
      ],
    },
  ],
});
