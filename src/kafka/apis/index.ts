// Every Kafka API Samsa serves, by key: the ApiVersions answer is built from this
// list. Owns: the list. To add an API: write apis/NN-name.ts and add it here.

import { produceApi } from './00-produce.js';
import { fetchApi } from './01-fetch.js';
import { listOffsetsApi } from './02-list-offsets.js';
import { metadataApi } from './03-metadata.js';
import { offsetCommitApi } from './08-offset-commit.js';
import { offsetFetchApi } from './09-offset-fetch.js';
import { findCoordinatorApi } from './10-find-coordinator.js';
import { joinGroupApi } from './11-join-group.js';
import { heartbeatApi } from './12-heartbeat.js';
import { leaveGroupApi } from './13-leave-group.js';
import { syncGroupApi } from './14-sync-group.js';
import { describeGroupsApi } from './15-describe-groups.js';
import { listGroupsApi } from './16-list-groups.js';
import { saslHandshakeApi } from './17-sasl-handshake.js';
import { apiVersionsApi } from './18-api-versions.js';
import { createTopicsApi } from './19-create-topics.js';
import { deleteTopicsApi } from './20-delete-topics.js';
import { deleteRecordsApi } from './21-delete-records.js';
import { initProducerIdApi } from './22-init-producer-id.js';
import { describeAclsApi } from './29-describe-acls.js';
import { createAclsApi } from './30-create-acls.js';
import { deleteAclsApi } from './31-delete-acls.js';
import { addPartitionsToTxnApi } from './24-add-partitions-to-txn.js';
import { addOffsetsToTxnApi } from './25-add-offsets-to-txn.js';
import { endTxnApi } from './26-end-txn.js';
import { txnOffsetCommitApi } from './28-txn-offset-commit.js';
import { describeConfigsApi } from './32-describe-configs.js';
import { describeProducersApi } from './61-describe-producers.js';
import { describeTransactionsApi } from './65-describe-transactions.js';
import { listTransactionsApi } from './66-list-transactions.js';
import { alterConfigsApi } from './33-alter-configs.js';
import { saslAuthenticateApi } from './36-sasl-authenticate.js';
import { createPartitionsApi } from './37-create-partitions.js';
import { deleteGroupsApi } from './42-delete-groups.js';
import { incrementalAlterConfigsApi } from './44-incremental-alter-configs.js';
import { describeClientQuotasApi } from './48-describe-client-quotas.js';
import { alterClientQuotasApi } from './49-alter-client-quotas.js';
import { describeUserScramCredentialsApi } from './50-describe-user-scram-credentials.js';
import { alterUserScramCredentialsApi } from './51-alter-user-scram-credentials.js';
import { offsetForLeaderEpochApi } from './23-offset-for-leader-epoch.js';
import { describeLogDirsApi } from './35-describe-log-dirs.js';
import { electLeadersApi } from './43-elect-leaders.js';
import { alterPartitionReassignmentsApi } from './45-alter-partition-reassignments.js';
import { listPartitionReassignmentsApi } from './46-list-partition-reassignments.js';
import { offsetDeleteApi } from './47-offset-delete.js';
import { describeClusterApi } from './60-describe-cluster.js';
import { describeTopicPartitionsApi } from './75-describe-topic-partitions.js';
import { consumerGroupHeartbeatApi } from './68-consumer-group-heartbeat.js';
import { consumerGroupDescribeApi } from './69-consumer-group-describe.js';
import type { AnyApiDefinition } from './types.js';

export const APIS: readonly AnyApiDefinition[] = [
  produceApi,
  fetchApi,
  listOffsetsApi,
  metadataApi,
  offsetCommitApi,
  offsetFetchApi,
  findCoordinatorApi,
  joinGroupApi,
  heartbeatApi,
  leaveGroupApi,
  syncGroupApi,
  describeGroupsApi,
  listGroupsApi,
  saslHandshakeApi,
  apiVersionsApi,
  createTopicsApi,
  deleteTopicsApi,
  deleteRecordsApi,
  initProducerIdApi,
  describeAclsApi,
  createAclsApi,
  deleteAclsApi,
  addPartitionsToTxnApi,
  addOffsetsToTxnApi,
  endTxnApi,
  txnOffsetCommitApi,
  describeConfigsApi,
  alterConfigsApi,
  saslAuthenticateApi,
  createPartitionsApi,
  deleteGroupsApi,
  incrementalAlterConfigsApi,
  describeClientQuotasApi,
  alterClientQuotasApi,
  describeUserScramCredentialsApi,
  alterUserScramCredentialsApi,
  describeProducersApi,
  describeTransactionsApi,
  listTransactionsApi,
  offsetForLeaderEpochApi,
  describeLogDirsApi,
  electLeadersApi,
  alterPartitionReassignmentsApi,
  listPartitionReassignmentsApi,
  offsetDeleteApi,
  describeClusterApi,
  describeTopicPartitionsApi,
  consumerGroupHeartbeatApi,
  consumerGroupDescribeApi,
];
