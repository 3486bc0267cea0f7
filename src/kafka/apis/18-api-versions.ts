// ApiVersions (key 18): serves v0-4. v3 is flexible (compact strings, tagged fields)
// but its response header stays v0; v4 is v3 on the wire (it only allows a feature's
// minimum version to be 0, KAFKA-17011). An unsupported version is answered by the
// dispatcher (handler.ts) with a v0 body: UNSUPPORTED_VERSION and the full list.
// Owns: the answer, built from the registered APIs (ctx.apiVersions).

import { ErrorCode } from '../../wire/errors.js';
import { ApiVersionsRequestCodec, ApiVersionsResponseCodec } from '../../wire/schemas/18-api-versions.js';
import { defineApi } from './types.js';

export const apiVersionsApi = defineApi({
  minVersion: 0,
  maxVersion: 4,
  request: ApiVersionsRequestCodec,
  response: ApiVersionsResponseCodec,
  async handle(ctx) {
    return { errorCode: ErrorCode.NONE, apiKeys: ctx.apiVersions.map((a) => ({ ...a })), throttleTimeMs: 0 };
  },
  errorResponse(_request, _version, errorCode) {
    return { errorCode, apiKeys: [], throttleTimeMs: 0 };
  },
});
