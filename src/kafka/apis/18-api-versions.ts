// ApiVersions (key 18): serves v0-5. v3 is flexible (compact strings, tagged fields)
// but its response header stays v0; v4 is v3 on the wire (it only allows a feature's
// minimum version to be 0, KAFKA-17011). v5 (KIP-1242): a client names the cluster id
// and node id it means to reach, both or neither (else INVALID_REQUEST); a name that
// is not this broker's cluster id and node id gets REBOOTSTRAP_REQUIRED with no API
// list, so a client holding stale metadata starts over from its bootstrap servers.
// These are Kafka 4.4's KafkaApis rules, with the ids Metadata answers. An unsupported version is answered by the
// dispatcher (handler.ts) with a v0 body: UNSUPPORTED_VERSION and the full list.
// Owns: the answer, built from the registered APIs (ctx.apiVersions).

import { ErrorCode } from '../../wire/errors.js';
import { ApiVersionsRequestCodec, ApiVersionsResponseCodec } from '../../wire/schemas/18-api-versions.js';
import { defineApi } from './types.js';

export const apiVersionsApi = defineApi({
  minVersion: 0,
  maxVersion: 5,
  request: ApiVersionsRequestCodec,
  response: ApiVersionsResponseCodec,
  async handle(ctx, req, version) {
    if (version >= 5) {
      if ((req.clusterId === null) !== (req.nodeId === -1)) return { errorCode: ErrorCode.INVALID_REQUEST, apiKeys: [], throttleTimeMs: 0 };
      if (req.clusterId !== null && (req.clusterId !== ctx.options.clusterId || req.nodeId !== ctx.options.nodeId)) {
        return { errorCode: ErrorCode.REBOOTSTRAP_REQUIRED, apiKeys: [], throttleTimeMs: 0 };
      }
    }
    return { errorCode: ErrorCode.NONE, apiKeys: ctx.apiVersions.map((a) => ({ ...a })), throttleTimeMs: 0 };
  },
  errorResponse(_request, _version, errorCode) {
    return { errorCode, apiKeys: [], throttleTimeMs: 0 };
  },
});
