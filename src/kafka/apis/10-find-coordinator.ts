// FindCoordinator (key 10): serves v0-6 (v3+ flexible; v4 batches keys; v5 only
// allows TRANSACTION_ABORTABLE, which this broker never answers here; v6 key type 2).
// This broker coordinates every group (key type 0) and every transactional id (key
// type 1). Key type 2 (a share-group partition, KIP-932) follows Kafka 4.4's
// KafkaApis.getCoordinator: INVALID_REQUEST below v6; from v6 CLUSTER_ACTION on the
// cluster (else the whole request fails with CLUSTER_AUTHORIZATION_FAILED), then a key
// that is not "groupId:topicId:partition" is INVALID_REQUEST, and a well-formed one gets
// COORDINATOR_NOT_AVAILABLE, Kafka's answer while __share_group_state does not exist:
// Samsa has no share groups, so it never will. An unknown key type fails the whole
// request with INVALID_REQUEST (Kafka's CoordinatorType.forId throws).
// Authorization: DESCRIBE on the group (GROUP_AUTHORIZATION_FAILED) or on the
// transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED).
// Owns: the answer.

import { ErrorCode, KafkaError } from '../../wire/errors.js';
import { type Coordinator, FindCoordinatorRequestCodec, FindCoordinatorResponseCodec } from '../../wire/schemas/10-find-coordinator.js';
import { type RequestContext, defineApi } from './types.js';
import { brokerEndpoint } from './common.js';
import { Op, Resource, allowed, requireCluster } from './authz.js';

const GROUP_KEY_TYPE = 0;
const TRANSACTION_KEY_TYPE = 1;
const SHARE_KEY_TYPE = 2;
/** The first version that may ask for a share coordinator. */
const MIN_SHARE_VERSION = 6;

/** A Kafka Uuid in its string form: URL-safe base64 of 16 bytes (Java's decoder takes the padding too). */
const UUID_STRING = /^[A-Za-z0-9_-]{22}(==)?$/;
/** What Java's Integer.parseInt accepts. */
const JAVA_INT = /^[+-]?[0-9]+$/;

/** Kafka's SharePartitionKey.getInstance rules: the last two ':' parts are a topic id and a partition. */
function isSharePartitionKey(key: string): boolean {
  const parts = key.split(':');
  if (parts.length < 3) return false;
  const partition = parts[parts.length - 1]!;
  const topicId = parts[parts.length - 2]!;
  const groupId = parts.slice(0, -2).join(':');
  if (groupId.trim() === '' || !UUID_STRING.test(topicId) || !JAVA_INT.test(partition)) return false;
  const n = Number(partition);
  return n >= -2147483648 && n <= 2147483647;
}

function noCoordinator(key: string, errorCode: number, errorMessage: string | null): Coordinator {
  return { key, nodeId: -1, host: '', port: -1, errorCode, errorMessage };
}

function coordinator(ctx: RequestContext, key: string, keyType: number, version: number): Coordinator {
  if (keyType === SHARE_KEY_TYPE) {
    if (version < MIN_SHARE_VERSION) return noCoordinator(key, ErrorCode.INVALID_REQUEST, null);
    requireCluster(ctx, Op.CLUSTER_ACTION);
    if (!isSharePartitionKey(key)) return noCoordinator(key, ErrorCode.INVALID_REQUEST, null);
    return noCoordinator(key, ErrorCode.COORDINATOR_NOT_AVAILABLE, 'Samsa has no share groups, so no share coordinator');
  }
  if (keyType !== GROUP_KEY_TYPE && keyType !== TRANSACTION_KEY_TYPE) {
    throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown coordinator type received: ${keyType}`);
  }
  if (!allowed(ctx, Op.DESCRIBE, keyType === GROUP_KEY_TYPE ? Resource.GROUP : Resource.TRANSACTIONAL_ID, key)) {
    const errorCode = keyType === GROUP_KEY_TYPE ? ErrorCode.GROUP_AUTHORIZATION_FAILED : ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
    return { key, nodeId: -1, host: '', port: -1, errorCode, errorMessage: null };
  }
  const { nodeId, host, port } = brokerEndpoint(ctx);
  return { key, nodeId, host, port, errorCode: ErrorCode.NONE, errorMessage: null };
}

export const findCoordinatorApi = defineApi({
  minVersion: 0,
  maxVersion: 6,
  request: FindCoordinatorRequestCodec,
  response: FindCoordinatorResponseCodec,
  async handle(ctx, req, version) {
    if (version >= 4) {
      return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, nodeId: 0, host: '', port: 0, coordinators: req.coordinatorKeys.map((k) => coordinator(ctx, k, req.keyType, version)) };
    }
    const c = coordinator(ctx, req.key, req.keyType, version);
    return { throttleTimeMs: 0, errorCode: c.errorCode, errorMessage: c.errorMessage, nodeId: c.nodeId, host: c.host, port: c.port, coordinators: [] };
  },
  errorResponse(req, _version, errorCode) {
    return {
      throttleTimeMs: 0,
      errorCode,
      errorMessage: null,
      nodeId: -1,
      host: '',
      port: -1,
      coordinators: req.coordinatorKeys.map((key) => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage: null })),
    };
  },
});
