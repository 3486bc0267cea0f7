// Every message schema Samsa speaks, by API key: the one table the server and the
// TypeScript client share, built from the per-key files (NN-name.ts, one per API,
// named like the server's src/kafka/apis/NN-name.ts). Owns: the list only. Must not
// import handlers or Node built-ins (the browser client imports this file).

import type { MessageCodec } from '../codec/compile.js';
import { ProduceRequestCodec, ProduceResponseCodec } from './00-produce.js';
import { FetchRequestCodec, FetchResponseCodec } from './01-fetch.js';
import { ListOffsetsRequestCodec, ListOffsetsResponseCodec } from './02-list-offsets.js';
import { MetadataRequestCodec, MetadataResponseCodec } from './03-metadata.js';
import { OffsetCommitRequestCodec, OffsetCommitResponseCodec } from './08-offset-commit.js';
import { OffsetFetchRequestCodec, OffsetFetchResponseCodec } from './09-offset-fetch.js';
import { FindCoordinatorRequestCodec, FindCoordinatorResponseCodec } from './10-find-coordinator.js';
import { JoinGroupRequestCodec, JoinGroupResponseCodec } from './11-join-group.js';
import { HeartbeatRequestCodec, HeartbeatResponseCodec } from './12-heartbeat.js';
import { LeaveGroupRequestCodec, LeaveGroupResponseCodec } from './13-leave-group.js';
import { SyncGroupRequestCodec, SyncGroupResponseCodec } from './14-sync-group.js';
import { DescribeGroupsRequestCodec, DescribeGroupsResponseCodec } from './15-describe-groups.js';
import { ListGroupsRequestCodec, ListGroupsResponseCodec } from './16-list-groups.js';
import { SaslHandshakeRequestCodec, SaslHandshakeResponseCodec } from './17-sasl-handshake.js';
import { ApiVersionsRequestCodec, ApiVersionsResponseCodec } from './18-api-versions.js';
import { CreateTopicsRequestCodec, CreateTopicsResponseCodec } from './19-create-topics.js';
import { DeleteTopicsRequestCodec, DeleteTopicsResponseCodec } from './20-delete-topics.js';
import { DeleteRecordsRequestCodec, DeleteRecordsResponseCodec } from './21-delete-records.js';
import { InitProducerIdRequestCodec, InitProducerIdResponseCodec } from './22-init-producer-id.js';
import { DescribeAclsRequestCodec, DescribeAclsResponseCodec } from './29-describe-acls.js';
import { CreateAclsRequestCodec, CreateAclsResponseCodec } from './30-create-acls.js';
import { DeleteAclsRequestCodec, DeleteAclsResponseCodec } from './31-delete-acls.js';
import { AddPartitionsToTxnRequestCodec, AddPartitionsToTxnResponseCodec } from './24-add-partitions-to-txn.js';
import { AddOffsetsToTxnRequestCodec, AddOffsetsToTxnResponseCodec } from './25-add-offsets-to-txn.js';
import { EndTxnRequestCodec, EndTxnResponseCodec } from './26-end-txn.js';
import { TxnOffsetCommitRequestCodec, TxnOffsetCommitResponseCodec } from './28-txn-offset-commit.js';
import { DescribeConfigsRequestCodec, DescribeConfigsResponseCodec } from './32-describe-configs.js';
import { AlterConfigsRequestCodec, AlterConfigsResponseCodec } from './33-alter-configs.js';
import { SaslAuthenticateRequestCodec, SaslAuthenticateResponseCodec } from './36-sasl-authenticate.js';
import { CreatePartitionsRequestCodec, CreatePartitionsResponseCodec } from './37-create-partitions.js';
import { DeleteGroupsRequestCodec, DeleteGroupsResponseCodec } from './42-delete-groups.js';
import { IncrementalAlterConfigsRequestCodec, IncrementalAlterConfigsResponseCodec } from './44-incremental-alter-configs.js';
import { DescribeClientQuotasRequestCodec, DescribeClientQuotasResponseCodec } from './48-describe-client-quotas.js';
import { AlterClientQuotasRequestCodec, AlterClientQuotasResponseCodec } from './49-alter-client-quotas.js';
import { DescribeUserScramCredentialsRequestCodec, DescribeUserScramCredentialsResponseCodec } from './50-describe-user-scram-credentials.js';
import { AlterUserScramCredentialsRequestCodec, AlterUserScramCredentialsResponseCodec } from './51-alter-user-scram-credentials.js';
import { DescribeProducersRequestCodec, DescribeProducersResponseCodec } from './61-describe-producers.js';
import { DescribeTransactionsRequestCodec, DescribeTransactionsResponseCodec } from './65-describe-transactions.js';
import { ListTransactionsRequestCodec, ListTransactionsResponseCodec } from './66-list-transactions.js';
import { OffsetForLeaderEpochRequestCodec, OffsetForLeaderEpochResponseCodec } from './23-offset-for-leader-epoch.js';
import { DescribeLogDirsRequestCodec, DescribeLogDirsResponseCodec } from './35-describe-log-dirs.js';
import { ElectLeadersRequestCodec, ElectLeadersResponseCodec } from './43-elect-leaders.js';
import { AlterPartitionReassignmentsRequestCodec, AlterPartitionReassignmentsResponseCodec } from './45-alter-partition-reassignments.js';
import { ListPartitionReassignmentsRequestCodec, ListPartitionReassignmentsResponseCodec } from './46-list-partition-reassignments.js';
import { OffsetDeleteRequestCodec, OffsetDeleteResponseCodec } from './47-offset-delete.js';
import { DescribeClusterRequestCodec, DescribeClusterResponseCodec } from './60-describe-cluster.js';
import { DescribeTopicPartitionsRequestCodec, DescribeTopicPartitionsResponseCodec } from './75-describe-topic-partitions.js';
import { ConsumerGroupHeartbeatRequestCodec, ConsumerGroupHeartbeatResponseCodec } from './68-consumer-group-heartbeat.js';
import { ConsumerGroupDescribeRequestCodec, ConsumerGroupDescribeResponseCodec } from './69-consumer-group-describe.js';
import { assert } from '../assert.js';

export interface SchemaPair {
  readonly apiKey: number;
  /** Kafka's API name: the message names without Request/Response. */
  readonly name: string;
  readonly request: MessageCodec<object>;
  readonly response: MessageCodec<object>;
}

/** The API's key and name, read from its two message schemas (which must agree). */
export function pair(request: MessageCodec<object>, response: MessageCodec<object>): SchemaPair {
  const name = request.def.name.replace(/Request$/, '');
  assert(request.def.apiKey === response.def.apiKey, `${name}: request and response keys differ`);
  assert(response.def.name === `${name}Response`, `${name}: response schema is named ${response.def.name}`);
  assert(request.flexibleFrom === response.flexibleFrom, `${name}: request and response flexible versions differ`);
  return { apiKey: request.def.apiKey, name, request, response };
}

export const SCHEMAS: readonly SchemaPair[] = [
  pair(ProduceRequestCodec, ProduceResponseCodec),
  pair(FetchRequestCodec, FetchResponseCodec),
  pair(ListOffsetsRequestCodec, ListOffsetsResponseCodec),
  pair(MetadataRequestCodec, MetadataResponseCodec),
  pair(OffsetCommitRequestCodec, OffsetCommitResponseCodec),
  pair(OffsetFetchRequestCodec, OffsetFetchResponseCodec),
  pair(FindCoordinatorRequestCodec, FindCoordinatorResponseCodec),
  pair(JoinGroupRequestCodec, JoinGroupResponseCodec),
  pair(HeartbeatRequestCodec, HeartbeatResponseCodec),
  pair(LeaveGroupRequestCodec, LeaveGroupResponseCodec),
  pair(SyncGroupRequestCodec, SyncGroupResponseCodec),
  pair(DescribeGroupsRequestCodec, DescribeGroupsResponseCodec),
  pair(ListGroupsRequestCodec, ListGroupsResponseCodec),
  pair(SaslHandshakeRequestCodec, SaslHandshakeResponseCodec),
  pair(ApiVersionsRequestCodec, ApiVersionsResponseCodec),
  pair(CreateTopicsRequestCodec, CreateTopicsResponseCodec),
  pair(DeleteTopicsRequestCodec, DeleteTopicsResponseCodec),
  pair(DeleteRecordsRequestCodec, DeleteRecordsResponseCodec),
  pair(InitProducerIdRequestCodec, InitProducerIdResponseCodec),
  pair(DescribeAclsRequestCodec, DescribeAclsResponseCodec),
  pair(CreateAclsRequestCodec, CreateAclsResponseCodec),
  pair(DeleteAclsRequestCodec, DeleteAclsResponseCodec),
  pair(AddPartitionsToTxnRequestCodec, AddPartitionsToTxnResponseCodec),
  pair(AddOffsetsToTxnRequestCodec, AddOffsetsToTxnResponseCodec),
  pair(EndTxnRequestCodec, EndTxnResponseCodec),
  pair(TxnOffsetCommitRequestCodec, TxnOffsetCommitResponseCodec),
  pair(DescribeConfigsRequestCodec, DescribeConfigsResponseCodec),
  pair(AlterConfigsRequestCodec, AlterConfigsResponseCodec),
  pair(SaslAuthenticateRequestCodec, SaslAuthenticateResponseCodec),
  pair(CreatePartitionsRequestCodec, CreatePartitionsResponseCodec),
  pair(DeleteGroupsRequestCodec, DeleteGroupsResponseCodec),
  pair(IncrementalAlterConfigsRequestCodec, IncrementalAlterConfigsResponseCodec),
  pair(DescribeClientQuotasRequestCodec, DescribeClientQuotasResponseCodec),
  pair(AlterClientQuotasRequestCodec, AlterClientQuotasResponseCodec),
  pair(DescribeUserScramCredentialsRequestCodec, DescribeUserScramCredentialsResponseCodec),
  pair(AlterUserScramCredentialsRequestCodec, AlterUserScramCredentialsResponseCodec),
  pair(DescribeProducersRequestCodec, DescribeProducersResponseCodec),
  pair(DescribeTransactionsRequestCodec, DescribeTransactionsResponseCodec),
  pair(ListTransactionsRequestCodec, ListTransactionsResponseCodec),
  pair(OffsetForLeaderEpochRequestCodec, OffsetForLeaderEpochResponseCodec),
  pair(DescribeLogDirsRequestCodec, DescribeLogDirsResponseCodec),
  pair(ElectLeadersRequestCodec, ElectLeadersResponseCodec),
  pair(AlterPartitionReassignmentsRequestCodec, AlterPartitionReassignmentsResponseCodec),
  pair(ListPartitionReassignmentsRequestCodec, ListPartitionReassignmentsResponseCodec),
  pair(OffsetDeleteRequestCodec, OffsetDeleteResponseCodec),
  pair(DescribeClusterRequestCodec, DescribeClusterResponseCodec),
  pair(DescribeTopicPartitionsRequestCodec, DescribeTopicPartitionsResponseCodec),
  pair(ConsumerGroupHeartbeatRequestCodec, ConsumerGroupHeartbeatResponseCodec),
  pair(ConsumerGroupDescribeRequestCodec, ConsumerGroupDescribeResponseCodec),
];

export const SCHEMAS_BY_KEY: ReadonlyMap<number, SchemaPair> = new Map(SCHEMAS.map((s) => [s.apiKey, s]));
