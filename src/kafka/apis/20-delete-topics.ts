// DeleteTopics (key 20): serves v0-6 (v4+ flexible; v5 error messages; v6 names or
// topic ids). Authorization: DELETE on each topic, else TOPIC_AUTHORIZATION_FAILED
// (by name before existence; an unknown id names nothing to check).
// Owns: request → engine.deleteTopic calls → response.

import { ErrorCode } from '../../wire/errors.js';
import { errorCodeOf, errorMessageOf } from '../error-codes.js';
import { type DeletableTopicResult, type DeleteTopicsRequest, DeleteTopicsRequestCodec, DeleteTopicsResponseCodec } from '../../wire/schemas/20-delete-topics.js';
import { ZERO_UUID } from './common.js';
import { defineApi } from './types.js';
import { Op, allowedOnTopic } from './authz.js';
import { absentTopicCode, absentTopicMessage } from './absent-topic.js';

function targets(req: DeleteTopicsRequest, version: number): Array<{ name: string | null; topicId: string }> {
  return version >= 6 ? req.topics : req.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
}

export const deleteTopicsApi = defineApi({
  minVersion: 0,
  maxVersion: 6,
  request: DeleteTopicsRequestCodec,
  response: DeleteTopicsResponseCodec,
  async handle(ctx, req, version) {
    const responses = await Promise.all(
      targets(req, version).map(async (t): Promise<DeletableTopicResult> => {
        if (t.name !== null && !allowedOnTopic(ctx, Op.DELETE, t.name)) return { name: t.name, topicId: t.topicId, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null };
        const info =
          t.name !== null ? ctx.engine.describeTopic(t.name) : ctx.engine.listTopics().find((i) => i.topicId === t.topicId);
        if (info === undefined) {
          const errorCode = t.name !== null ? absentTopicCode(ctx.engine, t.name) : ErrorCode.UNKNOWN_TOPIC_ID;
          const errorMessage = t.name !== null && errorCode !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ? absentTopicMessage(ctx.engine, t.name) : null;
          return { name: t.name, topicId: t.topicId, errorCode, errorMessage };
        }
        if (t.name === null && !allowedOnTopic(ctx, Op.DELETE, info.name)) return { name: null, topicId: t.topicId, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null };
        try {
          await ctx.engine.deleteTopic(info.name);
          return { name: info.name, topicId: info.topicId, errorCode: ErrorCode.NONE, errorMessage: null };
        } catch (err) {
          return { name: info.name, topicId: info.topicId, errorCode: errorCodeOf(err), errorMessage: errorMessageOf(err) };
        }
      }),
    );
    return { throttleTimeMs: 0, responses };
  },
  errorResponse(req, version, errorCode) {
    return { throttleTimeMs: 0, responses: targets(req, version).map((t) => ({ ...t, errorCode, errorMessage: null })) };
  },
});
