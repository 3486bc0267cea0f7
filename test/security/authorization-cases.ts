// One request per Kafka API for the authorization test: what a principal without
// any ACL sends, and the error codes Kafka answers it with. Owns: test-only data.
// Must not be imported from src/.

import { ErrorCode } from '../../src/wire/errors.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { ProduceRequestCodec, ProduceResponseCodec } from '../../src/wire/schemas/00-produce.js';
import { FetchRequestCodec, FetchResponseCodec } from '../../src/wire/schemas/01-fetch.js';
import { ListOffsetsRequestCodec, ListOffsetsResponseCodec } from '../../src/wire/schemas/02-list-offsets.js';
import { MetadataRequestCodec, MetadataResponseCodec } from '../../src/wire/schemas/03-metadata.js';
import { OffsetCommitRequestCodec, OffsetCommitResponseCodec } from '../../src/wire/schemas/08-offset-commit.js';
import { OffsetFetchRequestCodec, OffsetFetchResponseCodec } from '../../src/wire/schemas/09-offset-fetch.js';
import { FindCoordinatorRequestCodec, FindCoordinatorResponseCodec } from '../../src/wire/schemas/10-find-coordinator.js';
import { JoinGroupRequestCodec, JoinGroupResponseCodec } from '../../src/wire/schemas/11-join-group.js';
import { HeartbeatRequestCodec, HeartbeatResponseCodec } from '../../src/wire/schemas/12-heartbeat.js';
import { LeaveGroupRequestCodec, LeaveGroupResponseCodec } from '../../src/wire/schemas/13-leave-group.js';
import { SyncGroupRequestCodec, SyncGroupResponseCodec } from '../../src/wire/schemas/14-sync-group.js';
import { DescribeGroupsRequestCodec, DescribeGroupsResponseCodec } from '../../src/wire/schemas/15-describe-groups.js';
import { ListGroupsRequestCodec, ListGroupsResponseCodec } from '../../src/wire/schemas/16-list-groups.js';
import { CreateTopicsRequestCodec, CreateTopicsResponseCodec } from '../../src/wire/schemas/19-create-topics.js';
import { DeleteTopicsRequestCodec, DeleteTopicsResponseCodec } from '../../src/wire/schemas/20-delete-topics.js';
import { DeleteRecordsRequestCodec, DeleteRecordsResponseCodec } from '../../src/wire/schemas/21-delete-records.js';
import { InitProducerIdRequestCodec, InitProducerIdResponseCodec } from '../../src/wire/schemas/22-init-producer-id.js';
import { AddPartitionsToTxnRequestCodec, AddPartitionsToTxnResponseCodec } from '../../src/wire/schemas/24-add-partitions-to-txn.js';
import { AddOffsetsToTxnRequestCodec, AddOffsetsToTxnResponseCodec } from '../../src/wire/schemas/25-add-offsets-to-txn.js';
import { EndTxnRequestCodec, EndTxnResponseCodec } from '../../src/wire/schemas/26-end-txn.js';
import { TxnOffsetCommitRequestCodec, TxnOffsetCommitResponseCodec } from '../../src/wire/schemas/28-txn-offset-commit.js';
import { DescribeProducersRequestCodec, DescribeProducersResponseCodec } from '../../src/wire/schemas/61-describe-producers.js';
import { DescribeTransactionsRequestCodec, DescribeTransactionsResponseCodec } from '../../src/wire/schemas/65-describe-transactions.js';
import { ListTransactionsRequestCodec, ListTransactionsResponseCodec } from '../../src/wire/schemas/66-list-transactions.js';
import { ConsumerGroupHeartbeatRequestCodec, ConsumerGroupHeartbeatResponseCodec } from '../../src/wire/schemas/68-consumer-group-heartbeat.js';
import { ConsumerGroupDescribeRequestCodec, ConsumerGroupDescribeResponseCodec } from '../../src/wire/schemas/69-consumer-group-describe.js';
import { DescribeAclsRequestCodec, DescribeAclsResponseCodec } from '../../src/wire/schemas/29-describe-acls.js';
import { CreateAclsRequestCodec, CreateAclsResponseCodec } from '../../src/wire/schemas/30-create-acls.js';
import { DeleteAclsRequestCodec, DeleteAclsResponseCodec } from '../../src/wire/schemas/31-delete-acls.js';
import { DescribeConfigsRequestCodec, DescribeConfigsResponseCodec } from '../../src/wire/schemas/32-describe-configs.js';
import { AlterConfigsRequestCodec, AlterConfigsResponseCodec } from '../../src/wire/schemas/33-alter-configs.js';
import { CreatePartitionsRequestCodec, CreatePartitionsResponseCodec } from '../../src/wire/schemas/37-create-partitions.js';
import { DeleteGroupsRequestCodec, DeleteGroupsResponseCodec } from '../../src/wire/schemas/42-delete-groups.js';
import { IncrementalAlterConfigsRequestCodec, IncrementalAlterConfigsResponseCodec } from '../../src/wire/schemas/44-incremental-alter-configs.js';
import { DescribeClientQuotasRequestCodec, DescribeClientQuotasResponseCodec } from '../../src/wire/schemas/48-describe-client-quotas.js';
import { AlterClientQuotasRequestCodec, AlterClientQuotasResponseCodec } from '../../src/wire/schemas/49-alter-client-quotas.js';
import { DescribeUserScramCredentialsRequestCodec, DescribeUserScramCredentialsResponseCodec } from '../../src/wire/schemas/50-describe-user-scram-credentials.js';
import { AlterUserScramCredentialsRequestCodec, AlterUserScramCredentialsResponseCodec } from '../../src/wire/schemas/51-alter-user-scram-credentials.js';
import { OffsetForLeaderEpochRequestCodec, OffsetForLeaderEpochResponseCodec } from '../../src/wire/schemas/23-offset-for-leader-epoch.js';
import { DescribeLogDirsRequestCodec, DescribeLogDirsResponseCodec } from '../../src/wire/schemas/35-describe-log-dirs.js';
import { ElectLeadersRequestCodec, ElectLeadersResponseCodec } from '../../src/wire/schemas/43-elect-leaders.js';
import { AlterPartitionReassignmentsRequestCodec, AlterPartitionReassignmentsResponseCodec } from '../../src/wire/schemas/45-alter-partition-reassignments.js';
import { ListPartitionReassignmentsRequestCodec, ListPartitionReassignmentsResponseCodec } from '../../src/wire/schemas/46-list-partition-reassignments.js';
import { OffsetDeleteRequestCodec, OffsetDeleteResponseCodec } from '../../src/wire/schemas/47-offset-delete.js';
import { DescribeClusterRequestCodec, DescribeClusterResponseCodec } from '../../src/wire/schemas/60-describe-cluster.js';
import { DescribeTopicPartitionsRequestCodec, DescribeTopicPartitionsResponseCodec } from '../../src/wire/schemas/75-describe-topic-partitions.js';
import type { RawClient } from '../kafka/harness.js';

export interface AuthorizationCase {
  apiKey: number;
  name: string;
  run(c: RawClient): Promise<unknown>;
  expect: unknown;
}

const ZERO = '00000000000000000000000000000000';
const TOPIC_DENIED = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
const GROUP_DENIED = ErrorCode.GROUP_AUTHORIZATION_FAILED;
const CLUSTER_DENIED = ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
const TXN_DENIED = ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;

export function fetchBody(topic: string) {
  return {
    clusterId: null,
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, topicId: ZERO, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [],
    rackId: '',
  };
}

/** The cases; topic `secret`, group `g` and transactional id `tx` exist, ACLs name none of them. */
export function authorizationCases(): AuthorizationCase[] {
  const join = { groupId: 'g', sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: new Uint8Array(0) }] };
  const filter = { resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 };
  return [
    {
      apiKey: 0,
      name: 'Produce: WRITE on the topic',
      run: async (c) => (await c.request(ProduceRequestCodec, ProduceResponseCodec, 9, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'secret', partitionData: [{ index: 0, records: encodeRecordBatch([{ value: 'x' }]) }] }] })).responses[0]!.partitionResponses[0]!.errorCode,
      expect: TOPIC_DENIED,
    },
    {
      apiKey: 1,
      name: 'Fetch: READ on the topic',
      run: async (c) => (await c.request(FetchRequestCodec, FetchResponseCodec, 12, fetchBody('secret'))).responses[0]!.partitions[0]!.errorCode,
      expect: TOPIC_DENIED,
    },
    {
      apiKey: 1,
      name: 'Fetch in a session: READ checked again at each incremental fetch',
      run: async (c) => {
        const full = await c.request(FetchRequestCodec, FetchResponseCodec, 12, { ...fetchBody('secret'), sessionEpoch: 0 });
        const inc = await c.request(FetchRequestCodec, FetchResponseCodec, 12, { ...fetchBody('secret'), topics: [], sessionId: full.sessionId, sessionEpoch: 1 });
        await c.request(FetchRequestCodec, FetchResponseCodec, 12, { ...fetchBody('secret'), topics: [], sessionId: full.sessionId, sessionEpoch: -1 });
        return [full.responses[0]!.partitions[0]!.errorCode, inc.responses[0]!.partitions[0]!.errorCode];
      },
      expect: [TOPIC_DENIED, TOPIC_DENIED],
    },
    {
      apiKey: 2,
      name: 'ListOffsets: DESCRIBE on the topic',
      run: async (c) => (await c.request(ListOffsetsRequestCodec, ListOffsetsResponseCodec, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'secret', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1 }] }] })).topics[0]!.partitions[0]!.errorCode,
      expect: TOPIC_DENIED,
    },
    {
      apiKey: 3,
      name: 'Metadata: all topics hides it, by name it is TOPIC_AUTHORIZATION_FAILED',
      run: async (c) => {
        const all = await c.request(MetadataRequestCodec, MetadataResponseCodec, 12, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
        const named = await c.request(MetadataRequestCodec, MetadataResponseCodec, 12, { topics: [{ topicId: ZERO, name: 'secret' }], allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
        return [all.topics.length, named.topics[0]!.errorCode];
      },
      expect: [0, TOPIC_DENIED],
    },
    {
      apiKey: 8,
      name: 'OffsetCommit: READ on the group',
      run: async (c) => (await c.request(OffsetCommitRequestCodec, OffsetCommitResponseCodec, 8, { groupId: 'g', generationId: -1, memberId: '', topics: [{ name: 'secret', partitions: [{ partitionIndex: 0, committedOffset: 5, committedMetadata: null }] }] })).topics[0]!.partitions[0]!.errorCode,
      expect: GROUP_DENIED,
    },
    {
      apiKey: 9,
      name: 'OffsetFetch: DESCRIBE on the group (v7 and v8)',
      run: async (c) => [
        (await c.request(OffsetFetchRequestCodec, OffsetFetchResponseCodec, 7, { groupId: 'g', topics: null, groups: [], requireStable: false })).errorCode,
        (await c.request(OffsetFetchRequestCodec, OffsetFetchResponseCodec, 8, { groupId: '', topics: null, groups: [{ groupId: 'g', topics: null }], requireStable: false })).groups[0]!.errorCode,
      ],
      expect: [GROUP_DENIED, GROUP_DENIED],
    },
    {
      apiKey: 10,
      name: 'FindCoordinator: DESCRIBE on the group',
      run: async (c) => (await c.request(FindCoordinatorRequestCodec, FindCoordinatorResponseCodec, 4, { key: '', keyType: 0, coordinatorKeys: ['g'] })).coordinators[0]!.errorCode,
      expect: GROUP_DENIED,
    },
    { apiKey: 11, name: 'JoinGroup: READ on the group', run: async (c) => (await c.request(JoinGroupRequestCodec, JoinGroupResponseCodec, 9, join)).errorCode, expect: GROUP_DENIED },
    { apiKey: 12, name: 'Heartbeat: READ on the group', run: async (c) => (await c.request(HeartbeatRequestCodec, HeartbeatResponseCodec, 4, { groupId: 'g', generationId: 1, memberId: 'm' })).errorCode, expect: GROUP_DENIED },
    { apiKey: 13, name: 'LeaveGroup: READ on the group', run: async (c) => (await c.request(LeaveGroupRequestCodec, LeaveGroupResponseCodec, 5, { groupId: 'g', memberId: '', members: [{ memberId: 'm' }] })).errorCode, expect: GROUP_DENIED },
    { apiKey: 14, name: 'SyncGroup: READ on the group', run: async (c) => (await c.request(SyncGroupRequestCodec, SyncGroupResponseCodec, 5, { groupId: 'g', generationId: 1, memberId: 'm', assignments: [] })).errorCode, expect: GROUP_DENIED },
    {
      apiKey: 15,
      name: 'DescribeGroups: DESCRIBE on the group',
      run: async (c) => (await c.request(DescribeGroupsRequestCodec, DescribeGroupsResponseCodec, 5, { groups: ['g'], includeAuthorizedOperations: true })).groups[0]!.errorCode,
      expect: GROUP_DENIED,
    },
    { apiKey: 16, name: 'ListGroups: the group is hidden', run: async (c) => (await c.request(ListGroupsRequestCodec, ListGroupsResponseCodec, 4, { statesFilter: [], typesFilter: [] })).groups.map((g) => g.groupId), expect: [] },
    {
      apiKey: 19,
      name: 'CreateTopics: CREATE on the cluster or the topic',
      run: async (c) => (await c.request(CreateTopicsRequestCodec, CreateTopicsResponseCodec, 7, { topics: [{ name: 'mallory-made', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false })).topics[0]!.errorCode,
      expect: TOPIC_DENIED,
    },
    { apiKey: 20, name: 'DeleteTopics: DELETE on the topic', run: async (c) => (await c.request(DeleteTopicsRequestCodec, DeleteTopicsResponseCodec, 6, { topics: [{ name: 'secret', topicId: ZERO }], topicNames: [], timeoutMs: 1000 })).responses[0]!.errorCode, expect: TOPIC_DENIED },
    {
      apiKey: 21,
      name: 'DeleteRecords: DELETE on the topic',
      run: async (c) => (await c.request(DeleteRecordsRequestCodec, DeleteRecordsResponseCodec, 2, { topics: [{ name: 'secret', partitions: [{ partitionIndex: 0, offset: -1 }] }], timeoutMs: 1000 })).topics[0]!.partitions[0]!.errorCode,
      expect: TOPIC_DENIED,
    },
    {
      apiKey: 22,
      name: 'InitProducerId: IDEMPOTENT_WRITE on the cluster or WRITE on a topic',
      run: async (c) => (await c.request(InitProducerIdRequestCodec, InitProducerIdResponseCodec, 4, { transactionalId: null, transactionTimeoutMs: 1000, producerId: -1, producerEpoch: -1 })).errorCode,
      expect: CLUSTER_DENIED,
    },
    {
      apiKey: 22,
      name: 'InitProducerId with a transactional id: WRITE on it',
      run: async (c) => (await c.request(InitProducerIdRequestCodec, InitProducerIdResponseCodec, 4, { transactionalId: 'tx', transactionTimeoutMs: 10_000, producerId: -1, producerEpoch: -1 })).errorCode,
      expect: TXN_DENIED,
    },
    {
      apiKey: 10,
      name: 'FindCoordinator key type 1: DESCRIBE on the transactional id',
      run: async (c) => (await c.request(FindCoordinatorRequestCodec, FindCoordinatorResponseCodec, 4, { key: '', keyType: 1, coordinatorKeys: ['tx'] })).coordinators[0]!.errorCode,
      expect: TXN_DENIED,
    },
    {
      apiKey: 10,
      name: 'FindCoordinator v6 key type 2 (share): CLUSTER_ACTION on the cluster, the whole request fails without it',
      run: async (c) => (await c.request(FindCoordinatorRequestCodec, FindCoordinatorResponseCodec, 6, { key: '', keyType: 2, coordinatorKeys: ['g:AAAAAAAAAAAAAAAAAAAAAA:0'] })).coordinators[0]!.errorCode,
      expect: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    },
    {
      apiKey: 24,
      name: 'AddPartitionsToTxn: WRITE on the transactional id (v3 and v4)',
      run: async (c) => [
        (await c.request(AddPartitionsToTxnRequestCodec, AddPartitionsToTxnResponseCodec, 3, { transactions: [], v3AndBelowTransactionalId: 'tx', v3AndBelowProducerId: 0, v3AndBelowProducerEpoch: 0, v3AndBelowTopics: [{ name: 'secret', partitions: [0] }] })).resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode,
        (await c.request(AddPartitionsToTxnRequestCodec, AddPartitionsToTxnResponseCodec, 4, { transactions: [{ transactionalId: 'tx', producerId: 0, producerEpoch: 0, verifyOnly: false, topics: [{ name: 'secret', partitions: [0] }] }], v3AndBelowTransactionalId: '', v3AndBelowProducerId: 0, v3AndBelowProducerEpoch: 0, v3AndBelowTopics: [] })).resultsByTransaction[0]!.topicResults[0]!.resultsByPartition[0]!.partitionErrorCode,
      ],
      expect: [TXN_DENIED, TXN_DENIED],
    },
    {
      apiKey: 25,
      name: 'AddOffsetsToTxn: WRITE on the transactional id',
      run: async (c) => (await c.request(AddOffsetsToTxnRequestCodec, AddOffsetsToTxnResponseCodec, 3, { transactionalId: 'tx', producerId: 0, producerEpoch: 0, groupId: 'g' })).errorCode,
      expect: TXN_DENIED,
    },
    {
      apiKey: 26,
      name: 'EndTxn: WRITE on the transactional id',
      run: async (c) => (await c.request(EndTxnRequestCodec, EndTxnResponseCodec, 3, { transactionalId: 'tx', producerId: 0, producerEpoch: 0, committed: true })).errorCode,
      expect: TXN_DENIED,
    },
    {
      apiKey: 28,
      name: 'TxnOffsetCommit: WRITE on the transactional id',
      run: async (c) => (await c.request(TxnOffsetCommitRequestCodec, TxnOffsetCommitResponseCodec, 3, { transactionalId: 'tx', groupId: 'g', producerId: 0, producerEpoch: 0, generationId: -1, memberId: '', groupInstanceId: null, topics: [{ name: 'secret', partitions: [{ partitionIndex: 0, committedOffset: 0, committedLeaderEpoch: -1, committedMetadata: null }] }] })).topics[0]!.partitions[0]!.errorCode,
      expect: TXN_DENIED,
    },
    {
      apiKey: 61,
      name: 'DescribeProducers: READ on the topic',
      run: async (c) => (await c.request(DescribeProducersRequestCodec, DescribeProducersResponseCodec, 0, { topics: [{ name: 'secret', partitionIndexes: [0] }] })).topics[0]!.partitions[0]!.errorCode,
      expect: TOPIC_DENIED,
    },
    {
      apiKey: 65,
      name: 'DescribeTransactions: DESCRIBE on the transactional id',
      run: async (c) => (await c.request(DescribeTransactionsRequestCodec, DescribeTransactionsResponseCodec, 0, { transactionalIds: ['tx'] })).transactionStates[0]!.errorCode,
      expect: TXN_DENIED,
    },
    {
      apiKey: 66,
      name: 'ListTransactions: the transactional id is hidden',
      run: async (c) => (await c.request(ListTransactionsRequestCodec, ListTransactionsResponseCodec, 1, { stateFilters: [], producerIdFilters: [], durationFilter: -1, transactionalIdPattern: null })).transactionStates.map((t) => t.transactionalId),
      expect: [],
    },
    {
      apiKey: 68,
      name: 'ConsumerGroupHeartbeat: READ on the group',
      run: async (c) =>
        (
          await c.request(ConsumerGroupHeartbeatRequestCodec, ConsumerGroupHeartbeatResponseCodec, 1, {
            groupId: 'g',
            memberId: 'm',
            memberEpoch: 0,
            instanceId: null,
            rackId: null,
            rebalanceTimeoutMs: 1000,
            subscribedTopicNames: ['secret'],
            subscribedTopicRegex: null,
            serverAssignor: null,
            topicPartitions: [],
          })
        ).errorCode,
      expect: GROUP_DENIED,
    },
    {
      apiKey: 69,
      name: 'ConsumerGroupDescribe: DESCRIBE on the group',
      run: async (c) => (await c.request(ConsumerGroupDescribeRequestCodec, ConsumerGroupDescribeResponseCodec, 1, { groupIds: ['g'], includeAuthorizedOperations: false })).groups[0]!.errorCode,
      expect: GROUP_DENIED,
    },
    { apiKey: 29, name: 'DescribeAcls: DESCRIBE on the cluster', run: async (c) => (await c.request(DescribeAclsRequestCodec, DescribeAclsResponseCodec, 3, filter)).errorCode, expect: CLUSTER_DENIED },
    {
      apiKey: 30,
      name: 'CreateAcls: ALTER on the cluster',
      run: async (c) => (await c.request(CreateAclsRequestCodec, CreateAclsResponseCodec, 3, { creations: [{ resourceType: 2, resourceName: 'secret', resourcePatternType: 3, principal: 'User:mallory', host: '*', operation: 2, permissionType: 3 }] })).results[0]!.errorCode,
      expect: CLUSTER_DENIED,
    },
    { apiKey: 31, name: 'DeleteAcls: ALTER on the cluster', run: async (c) => (await c.request(DeleteAclsRequestCodec, DeleteAclsResponseCodec, 3, { filters: [filter] })).filterResults[0]!.errorCode, expect: CLUSTER_DENIED },
    {
      apiKey: 32,
      name: 'DescribeConfigs: DESCRIBE_CONFIGS on the topic / the cluster',
      run: async (c) =>
        (await c.request(DescribeConfigsRequestCodec, DescribeConfigsResponseCodec, 4, { resources: [{ resourceType: 2, resourceName: 'secret', configurationKeys: null }, { resourceType: 4, resourceName: '0', configurationKeys: null }], includeSynonyms: false, includeDocumentation: false })).results.map((r) => r.errorCode),
      expect: [TOPIC_DENIED, CLUSTER_DENIED],
    },
    {
      apiKey: 33,
      name: 'AlterConfigs: ALTER_CONFIGS on the topic / the cluster',
      run: async (c) =>
        (await c.request(AlterConfigsRequestCodec, AlterConfigsResponseCodec, 2, { resources: [{ resourceType: 2, resourceName: 'secret', configs: [{ name: 'retention.ms', value: '1' }] }, { resourceType: 4, resourceName: '0', configs: [] }], validateOnly: false })).responses.map((r) => r.errorCode),
      expect: [TOPIC_DENIED, CLUSTER_DENIED],
    },
    {
      apiKey: 37,
      name: 'CreatePartitions: ALTER on the topic',
      run: async (c) => (await c.request(CreatePartitionsRequestCodec, CreatePartitionsResponseCodec, 3, { topics: [{ name: 'secret', count: 4, assignments: null }], timeoutMs: 1000, validateOnly: false })).results[0]!.errorCode,
      expect: TOPIC_DENIED,
    },
    { apiKey: 42, name: 'DeleteGroups: DELETE on the group', run: async (c) => (await c.request(DeleteGroupsRequestCodec, DeleteGroupsResponseCodec, 2, { groupsNames: ['g'] })).results[0]!.errorCode, expect: GROUP_DENIED },
    {
      apiKey: 44,
      name: 'IncrementalAlterConfigs: ALTER_CONFIGS on the topic',
      run: async (c) => (await c.request(IncrementalAlterConfigsRequestCodec, IncrementalAlterConfigsResponseCodec, 1, { resources: [{ resourceType: 2, resourceName: 'secret', configs: [{ name: 'retention.ms', configOperation: 0, value: '1' }] }], validateOnly: false })).responses[0]!.errorCode,
      expect: TOPIC_DENIED,
    },
    { apiKey: 48, name: 'DescribeClientQuotas: DESCRIBE_CONFIGS on the cluster', run: async (c) => (await c.request(DescribeClientQuotasRequestCodec, DescribeClientQuotasResponseCodec, 1, { components: [], strict: false })).errorCode, expect: CLUSTER_DENIED },
    {
      apiKey: 49,
      name: 'AlterClientQuotas: ALTER_CONFIGS on the cluster',
      run: async (c) => (await c.request(AlterClientQuotasRequestCodec, AlterClientQuotasResponseCodec, 1, { entries: [{ entity: [{ entityType: 'user', entityName: 'mallory' }], ops: [{ key: 'producer_byte_rate', value: 1e9, remove: false }] }], validateOnly: false })).entries[0]!.errorCode,
      expect: CLUSTER_DENIED,
    },
    { apiKey: 50, name: 'DescribeUserScramCredentials: DESCRIBE on the cluster', run: async (c) => (await c.request(DescribeUserScramCredentialsRequestCodec, DescribeUserScramCredentialsResponseCodec, 0, { users: null })).errorCode, expect: CLUSTER_DENIED },
    {
      apiKey: 51,
      name: 'AlterUserScramCredentials: ALTER on the cluster',
      run: async (c) => (await c.request(AlterUserScramCredentialsRequestCodec, AlterUserScramCredentialsResponseCodec, 0, { deletions: [{ name: 'admin', mechanism: 1 }], upsertions: [] })).results[0]!.errorCode,
      expect: CLUSTER_DENIED,
    },
    {
      apiKey: 23,
      name: 'OffsetForLeaderEpoch: CLUSTER_ACTION, else DESCRIBE on the topic',
      run: async (c) => (await c.request(OffsetForLeaderEpochRequestCodec, OffsetForLeaderEpochResponseCodec, 4, { replicaId: -1, topics: [{ topic: 'secret', partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] }] })).topics[0]!.partitions[0]!,
      expect: { errorCode: TOPIC_DENIED, partition: 0, leaderEpoch: -1, endOffset: -1 },
    },
    {
      apiKey: 35,
      name: 'DescribeLogDirs: DESCRIBE on the cluster',
      run: async (c) => {
        const r = await c.request(DescribeLogDirsRequestCodec, DescribeLogDirsResponseCodec, 4, { topics: null });
        return [r.errorCode, r.results.length];
      },
      expect: [CLUSTER_DENIED, 0],
    },
    {
      apiKey: 43,
      name: 'ElectLeaders: ALTER on the cluster',
      run: async (c) => {
        const r = await c.request(ElectLeadersRequestCodec, ElectLeadersResponseCodec, 2, { electionType: 0, topicPartitions: [{ topic: 'secret', partitions: [0] }], timeoutMs: 1000 });
        return [r.errorCode, r.replicaElectionResults[0]!.partitionResult[0]!.errorCode];
      },
      expect: [CLUSTER_DENIED, CLUSTER_DENIED],
    },
    {
      apiKey: 45,
      name: 'AlterPartitionReassignments: ALTER on the cluster',
      run: async (c) => (await c.request(AlterPartitionReassignmentsRequestCodec, AlterPartitionReassignmentsResponseCodec, 1, { timeoutMs: 1000, allowReplicationFactorChange: true, topics: [{ name: 'secret', partitions: [{ partitionIndex: 0, replicas: [0] }] }] })).errorCode,
      expect: CLUSTER_DENIED,
    },
    { apiKey: 46, name: 'ListPartitionReassignments: DESCRIBE on the cluster', run: async (c) => (await c.request(ListPartitionReassignmentsRequestCodec, ListPartitionReassignmentsResponseCodec, 0, { timeoutMs: 1000, topics: null })).errorCode, expect: CLUSTER_DENIED },
    {
      apiKey: 47,
      name: 'OffsetDelete: DELETE on the group',
      run: async (c) => (await c.request(OffsetDeleteRequestCodec, OffsetDeleteResponseCodec, 0, { groupId: 'g', topics: [{ name: 'secret', partitions: [{ partitionIndex: 0 }] }] })).errorCode,
      expect: GROUP_DENIED,
    },
    {
      apiKey: 60,
      name: 'DescribeCluster: served to anyone; the cluster operations need DESCRIBE on it (0 without)',
      run: async (c) => {
        const r = await c.request(DescribeClusterRequestCodec, DescribeClusterResponseCodec, 2, { includeClusterAuthorizedOperations: true, endpointType: 1, includeFencedBrokers: false });
        return [r.errorCode, r.brokers.length, r.clusterAuthorizedOperations];
      },
      expect: [ErrorCode.NONE, 1, 0],
    },
    {
      apiKey: 75,
      name: 'DescribeTopicPartitions: all topics hides it, by name it is TOPIC_AUTHORIZATION_FAILED with a zero id',
      run: async (c) => {
        const all = await c.request(DescribeTopicPartitionsRequestCodec, DescribeTopicPartitionsResponseCodec, 0, { topics: [], responsePartitionLimit: 2000, cursor: null });
        const named = await c.request(DescribeTopicPartitionsRequestCodec, DescribeTopicPartitionsResponseCodec, 0, { topics: [{ name: 'secret' }], responsePartitionLimit: 2000, cursor: null });
        return [all.topics.length, named.topics.map((t) => [t.name, t.errorCode, t.topicId, t.partitions.length])];
      },
      expect: [0, [['secret', TOPIC_DENIED, ZERO, 0]]],
    },
  ];
}
