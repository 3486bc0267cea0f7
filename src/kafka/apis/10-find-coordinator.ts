// FindCoordinator (key 10): serves v0-4 (v3+ flexible; v4 batches keys). This
// broker coordinates every group (key type 0) and every transactional id (key type
// 1); other key types (share groups) get COORDINATOR_NOT_AVAILABLE.
// Authorization: DESCRIBE on the group (GROUP_AUTHORIZATION_FAILED) or on the
// transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED).
// Owns: the answer.

import { ErrorCode } from '../../wire/errors.js';
import { type Coordinator, FindCoordinatorRequestCodec, FindCoordinatorResponseCodec } from '../../wire/schemas/10-find-coordinator.js';
import { type RequestContext, defineApi } from './types.js';
import { brokerEndpoint } from './common.js';
import { Op, Resource, allowed } from './authz.js';

const GROUP_KEY_TYPE = 0;
const TRANSACTION_KEY_TYPE = 1;

function coordinator(ctx: RequestContext, key: string, keyType: number): Coordinator {
  if (keyType !== GROUP_KEY_TYPE && keyType !== TRANSACTION_KEY_TYPE) {
    return { key, nodeId: -1, host: '', port: -1, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: `Samsa has no coordinator of key type ${keyType}` };
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
  maxVersion: 4,
  request: FindCoordinatorRequestCodec,
  response: FindCoordinatorResponseCodec,
  async handle(ctx, req, version) {
    if (version >= 4) {
      return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, nodeId: 0, host: '', port: 0, coordinators: req.coordinatorKeys.map((k) => coordinator(ctx, k, req.keyType)) };
    }
    const c = coordinator(ctx, req.key, req.keyType);
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
