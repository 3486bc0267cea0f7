// Every message schema Samsa speaks, by API key: the one table the server and the
// TypeScript client share. Owns: the list only. Must not import handlers or Node
// built-ins (the browser client imports this file).

import type { MessageCodec } from '../codec/compile.js';
import { ApiVersionsRequestCodec, ApiVersionsResponseCodec } from './api-versions.js';
import { DeleteRecordsRequestCodec, DeleteRecordsResponseCodec } from './delete-records.js';
import { DescribeConfigsRequestCodec, DescribeConfigsResponseCodec } from './describe-configs.js';
import {
  AlterConfigsRequestCodec,
  AlterConfigsResponseCodec,
  IncrementalAlterConfigsRequestCodec,
  IncrementalAlterConfigsResponseCodec,
} from './alter-configs.js';
import { FetchRequestCodec, FetchResponseCodec } from './fetch.js';
import {
  DeleteGroupsRequestCodec,
  DeleteGroupsResponseCodec,
  DescribeGroupsRequestCodec,
  DescribeGroupsResponseCodec,
  HeartbeatRequestCodec,
  HeartbeatResponseCodec,
  JoinGroupRequestCodec,
  JoinGroupResponseCodec,
  LeaveGroupRequestCodec,
  LeaveGroupResponseCodec,
  ListGroupsRequestCodec,
  ListGroupsResponseCodec,
  OffsetCommitRequestCodec,
  OffsetCommitResponseCodec,
  OffsetFetchRequestCodec,
  OffsetFetchResponseCodec,
  SyncGroupRequestCodec,
  SyncGroupResponseCodec,
} from './groups.js';
import { ListOffsetsRequestCodec, ListOffsetsResponseCodec } from './list-offsets.js';
import { MetadataRequestCodec, MetadataResponseCodec } from './metadata.js';
import { ProduceRequestCodec, ProduceResponseCodec } from './produce.js';
import {
  FindCoordinatorRequestCodec,
  FindCoordinatorResponseCodec,
  InitProducerIdRequestCodec,
  InitProducerIdResponseCodec,
} from './producer-ids.js';
import {
  CreatePartitionsRequestCodec,
  CreatePartitionsResponseCodec,
  CreateTopicsRequestCodec,
  CreateTopicsResponseCodec,
  DeleteTopicsRequestCodec,
  DeleteTopicsResponseCodec,
} from './topics-admin.js';

export interface SchemaPair {
  readonly apiKey: number;
  readonly name: string;
  readonly request: MessageCodec<object>;
  readonly response: MessageCodec<object>;
}

function pair(name: string, request: MessageCodec<object>, response: MessageCodec<object>): SchemaPair {
  if (request.def.apiKey !== response.def.apiKey) throw new Error(`${name}: request and response keys differ`);
  return { apiKey: request.def.apiKey, name, request, response };
}

export const SCHEMAS: readonly SchemaPair[] = [
  pair('Produce', ProduceRequestCodec, ProduceResponseCodec),
  pair('Fetch', FetchRequestCodec, FetchResponseCodec),
  pair('ListOffsets', ListOffsetsRequestCodec, ListOffsetsResponseCodec),
  pair('Metadata', MetadataRequestCodec, MetadataResponseCodec),
  pair('OffsetCommit', OffsetCommitRequestCodec, OffsetCommitResponseCodec),
  pair('OffsetFetch', OffsetFetchRequestCodec, OffsetFetchResponseCodec),
  pair('FindCoordinator', FindCoordinatorRequestCodec, FindCoordinatorResponseCodec),
  pair('JoinGroup', JoinGroupRequestCodec, JoinGroupResponseCodec),
  pair('Heartbeat', HeartbeatRequestCodec, HeartbeatResponseCodec),
  pair('LeaveGroup', LeaveGroupRequestCodec, LeaveGroupResponseCodec),
  pair('SyncGroup', SyncGroupRequestCodec, SyncGroupResponseCodec),
  pair('DescribeGroups', DescribeGroupsRequestCodec, DescribeGroupsResponseCodec),
  pair('ListGroups', ListGroupsRequestCodec, ListGroupsResponseCodec),
  pair('ApiVersions', ApiVersionsRequestCodec, ApiVersionsResponseCodec),
  pair('CreateTopics', CreateTopicsRequestCodec, CreateTopicsResponseCodec),
  pair('DeleteTopics', DeleteTopicsRequestCodec, DeleteTopicsResponseCodec),
  pair('DeleteRecords', DeleteRecordsRequestCodec, DeleteRecordsResponseCodec),
  pair('InitProducerId', InitProducerIdRequestCodec, InitProducerIdResponseCodec),
  pair('DescribeConfigs', DescribeConfigsRequestCodec, DescribeConfigsResponseCodec),
  pair('CreatePartitions', CreatePartitionsRequestCodec, CreatePartitionsResponseCodec),
  pair('AlterConfigs', AlterConfigsRequestCodec, AlterConfigsResponseCodec),
  pair('DeleteGroups', DeleteGroupsRequestCodec, DeleteGroupsResponseCodec),
  pair('IncrementalAlterConfigs', IncrementalAlterConfigsRequestCodec, IncrementalAlterConfigsResponseCodec),
];

export const SCHEMAS_BY_KEY: ReadonlyMap<number, SchemaPair> = new Map(SCHEMAS.map((s) => [s.apiKey, s]));
