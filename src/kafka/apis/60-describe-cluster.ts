// DescribeCluster (key 60): serves v0-2 (all flexible), as Kafka 4.x does. The Admin
// client's describeCluster (kafka-cluster cluster-id, kafka-topics' broker list, every
// Admin that bootstraps with KIP-1102 / bootstrap.controllers off) uses it: the cluster
// id, this broker as the only one (never fenced, no rack) and as the controller id, as
// a Kafka 4 broker names some live broker there (KRaft controllers are not reachable
// through brokers).
// v1 endpoint_type: 1 (brokers) is served; 2 (controllers) is UNSUPPORTED_ENDPOINT_TYPE,
// Kafka's answer from a broker listener. v2 include_fenced_brokers: there are none.
// Authorization (Kafka's): none for the call; authorized operations on the cluster,
// when asked, need DESCRIBE on the cluster (else 0).
// Owns: the answer.

import { ErrorCode } from '../../wire/errors.js';
import { DescribeClusterRequestCodec, DescribeClusterResponseCodec } from '../../wire/schemas/60-describe-cluster.js';
import { CLUSTER_RESOURCE_NAME } from '../../security/acl.js';
import { brokerEndpoint } from './common.js';
import { defineApi } from './types.js';
import { OPERATIONS_NOT_REQUESTED, Op, Resource, allowed, authorizedOperations } from './authz.js';

const ENDPOINT_TYPE_BROKER = 1;

export const describeClusterApi = defineApi({
  minVersion: 0,
  maxVersion: 2,
  request: DescribeClusterRequestCodec,
  response: DescribeClusterResponseCodec,
  async handle(ctx, req) {
    if (req.endpointType !== ENDPOINT_TYPE_BROKER) {
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE,
        errorMessage: `Samsa is a broker: endpoint type ${req.endpointType} is not served (only 1, brokers)`,
        endpointType: req.endpointType,
        clusterId: ctx.options.clusterId,
        controllerId: -1,
        brokers: [],
      };
    }
    const me = brokerEndpoint(ctx);
    let clusterAuthorizedOperations = OPERATIONS_NOT_REQUESTED;
    if (req.includeClusterAuthorizedOperations && ctx.security.authorizer !== undefined) {
      clusterAuthorizedOperations = allowed(ctx, Op.DESCRIBE, Resource.CLUSTER, CLUSTER_RESOURCE_NAME) ? authorizedOperations(ctx, true, Resource.CLUSTER, CLUSTER_RESOURCE_NAME) : 0;
    }
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      endpointType: ENDPOINT_TYPE_BROKER,
      clusterId: ctx.options.clusterId,
      controllerId: me.nodeId,
      brokers: [{ brokerId: me.nodeId, host: me.host, port: me.port, rack: null, isFenced: false }],
      clusterAuthorizedOperations,
    };
  },
  errorResponse(req, _version, errorCode) {
    return { throttleTimeMs: 0, errorCode, errorMessage: null, endpointType: req.endpointType, clusterId: '', controllerId: -1, brokers: [] };
  },
});
