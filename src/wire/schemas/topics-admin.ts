// CreateTopics (19, v0-7), DeleteTopics (20, v0-6) and CreatePartitions (37, v0-3)
// request/response schemas, from the matching apache/kafka message JSON files.
// Owns: layouts and value types only (shared with the client).
// CreateTopics: v1 validate_only + error messages; v4 -1 = broker defaults; v5 first
// flexible, returns configs; v7 topic ids. DeleteTopics: v4 first flexible; v5 error
// messages; v6 names or ids. CreatePartitions: v2 first flexible.

import { MessageCodec } from '../codec/compile.js';

export interface CreatableTopic {
  name: string;
  numPartitions: number;
  replicationFactor: number;
  assignments: Array<{ partitionIndex: number; brokerIds: number[] }>;
  configs: Array<{ name: string; value: string | null }>;
}

export interface CreateTopicsRequest {
  topics: CreatableTopic[];
  timeoutMs: number;
  validateOnly: boolean;
}

export interface CreatableTopicConfig {
  name: string;
  value: string | null;
  readOnly: boolean;
  configSource: number;
  isSensitive: boolean;
}

export interface CreatableTopicResult {
  name: string;
  topicId: string;
  errorCode: number;
  errorMessage: string | null;
  topicConfigErrorCode: number;
  numPartitions: number;
  replicationFactor: number;
  configs: CreatableTopicConfig[] | null;
}

export interface CreateTopicsResponse {
  throttleTimeMs: number;
  topics: CreatableTopicResult[];
}

export const CreateTopicsRequestCodec = new MessageCodec<CreateTopicsRequest>({
  name: 'CreateTopicsRequest',
  apiKey: 19,
  type: 'request',
  validVersions: '0-7',
  flexibleVersions: '5+',
  fields: [
    {
      name: 'topics',
      type: '[]CreatableTopic',
      versions: '0+',
      fields: [
        { name: 'name', type: 'string', versions: '0+' },
        { name: 'numPartitions', type: 'int32', versions: '0+' },
        { name: 'replicationFactor', type: 'int16', versions: '0+' },
        {
          name: 'assignments',
          type: '[]CreatableReplicaAssignment',
          versions: '0+',
          fields: [
            { name: 'partitionIndex', type: 'int32', versions: '0+' },
            { name: 'brokerIds', type: '[]int32', versions: '0+' },
          ],
        },
        {
          name: 'configs',
          type: '[]CreatableTopicConfig',
          versions: '0+',
          fields: [
            { name: 'name', type: 'string', versions: '0+' },
            { name: 'value', type: 'string', versions: '0+', nullableVersions: '0+' },
          ],
        },
      ],
    },
    { name: 'timeoutMs', type: 'int32', versions: '0+', default: 60000 },
    { name: 'validateOnly', type: 'bool', versions: '1+', default: false },
  ],
});

export const CreateTopicsResponseCodec = new MessageCodec<CreateTopicsResponse>({
  name: 'CreateTopicsResponse',
  apiKey: 19,
  type: 'response',
  validVersions: '0-7',
  flexibleVersions: '5+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '2+' },
    {
      name: 'topics',
      type: '[]CreatableTopicResult',
      versions: '0+',
      fields: [
        { name: 'name', type: 'string', versions: '0+' },
        { name: 'topicId', type: 'uuid', versions: '7+' },
        { name: 'errorCode', type: 'int16', versions: '0+' },
        { name: 'errorMessage', type: 'string', versions: '1+', nullableVersions: '0+', default: null },
        { name: 'topicConfigErrorCode', type: 'int16', versions: '5+', taggedVersions: '5+', tag: 0 },
        { name: 'numPartitions', type: 'int32', versions: '5+', default: -1 },
        { name: 'replicationFactor', type: 'int16', versions: '5+', default: -1 },
        {
          name: 'configs',
          type: '[]CreatableTopicConfigs',
          versions: '5+',
          nullableVersions: '5+',
          default: null,
          fields: [
            { name: 'name', type: 'string', versions: '5+' },
            { name: 'value', type: 'string', versions: '5+', nullableVersions: '5+' },
            { name: 'readOnly', type: 'bool', versions: '5+' },
            { name: 'configSource', type: 'int8', versions: '5+', default: -1 },
            { name: 'isSensitive', type: 'bool', versions: '5+' },
          ],
        },
      ],
    },
  ],
});

export interface DeleteTopicsRequest {
  topics: Array<{ name: string | null; topicId: string }>;
  topicNames: string[];
  timeoutMs: number;
}

export interface DeletableTopicResult {
  name: string | null;
  topicId: string;
  errorCode: number;
  errorMessage: string | null;
}

export interface DeleteTopicsResponse {
  throttleTimeMs: number;
  responses: DeletableTopicResult[];
}

export const DeleteTopicsRequestCodec = new MessageCodec<DeleteTopicsRequest>({
  name: 'DeleteTopicsRequest',
  apiKey: 20,
  type: 'request',
  validVersions: '0-6',
  flexibleVersions: '4+',
  fields: [
    {
      name: 'topics',
      type: '[]DeleteTopicState',
      versions: '6+',
      fields: [
        { name: 'name', type: 'string', versions: '6+', nullableVersions: '6+', default: null },
        { name: 'topicId', type: 'uuid', versions: '6+' },
      ],
    },
    { name: 'topicNames', type: '[]string', versions: '0-5' },
    { name: 'timeoutMs', type: 'int32', versions: '0+' },
  ],
});

export const DeleteTopicsResponseCodec = new MessageCodec<DeleteTopicsResponse>({
  name: 'DeleteTopicsResponse',
  apiKey: 20,
  type: 'response',
  validVersions: '0-6',
  flexibleVersions: '4+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+' },
    {
      name: 'responses',
      type: '[]DeletableTopicResult',
      versions: '0+',
      fields: [
        { name: 'name', type: 'string', versions: '0+', nullableVersions: '6+' },
        { name: 'topicId', type: 'uuid', versions: '6+' },
        { name: 'errorCode', type: 'int16', versions: '0+' },
        { name: 'errorMessage', type: 'string', versions: '5+', nullableVersions: '5+', default: null },
      ],
    },
  ],
});

export interface CreatePartitionsRequest {
  topics: Array<{ name: string; count: number; assignments: Array<{ brokerIds: number[] }> | null }>;
  timeoutMs: number;
  validateOnly: boolean;
}

export interface CreatePartitionsTopicResult {
  name: string;
  errorCode: number;
  errorMessage: string | null;
}

export interface CreatePartitionsResponse {
  throttleTimeMs: number;
  results: CreatePartitionsTopicResult[];
}

export const CreatePartitionsRequestCodec = new MessageCodec<CreatePartitionsRequest>({
  name: 'CreatePartitionsRequest',
  apiKey: 37,
  type: 'request',
  validVersions: '0-3',
  flexibleVersions: '2+',
  fields: [
    {
      name: 'topics',
      type: '[]CreatePartitionsTopic',
      versions: '0+',
      fields: [
        { name: 'name', type: 'string', versions: '0+' },
        { name: 'count', type: 'int32', versions: '0+' },
        {
          name: 'assignments',
          type: '[]CreatePartitionsAssignment',
          versions: '0+',
          nullableVersions: '0+',
          fields: [{ name: 'brokerIds', type: '[]int32', versions: '0+' }],
        },
      ],
    },
    { name: 'timeoutMs', type: 'int32', versions: '0+' },
    { name: 'validateOnly', type: 'bool', versions: '0+' },
  ],
});

export const CreatePartitionsResponseCodec = new MessageCodec<CreatePartitionsResponse>({
  name: 'CreatePartitionsResponse',
  apiKey: 37,
  type: 'response',
  validVersions: '0-3',
  flexibleVersions: '2+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    {
      name: 'results',
      type: '[]CreatePartitionsTopicResult',
      versions: '0+',
      fields: [
        { name: 'name', type: 'string', versions: '0+' },
        { name: 'errorCode', type: 'int16', versions: '0+' },
        { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+', default: null },
      ],
    },
  ],
});
