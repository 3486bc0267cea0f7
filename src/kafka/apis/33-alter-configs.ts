// AlterConfigs (key 33): serves v0-2 (v2 flexible). Replaces a topic's whole
// config, as Kafka does: keys not named go back to the broker default. Broker
// resources are refused (static). Owns: building the new config.

import { parseTopicConfigEntries } from '../../config/topic-config.js';
import { AlterConfigsRequestCodec, AlterConfigsResponseCodec } from '../../wire/schemas/33-alter-configs.js';
import { alterTopic } from './alter-configs-common.js';
import { defineApi } from './types.js';

export const alterConfigsApi = defineApi({
  minVersion: 0,
  maxVersion: 2,
  request: AlterConfigsRequestCodec,
  response: AlterConfigsResponseCodec,
  async handle(ctx, req) {
    const responses = [];
    for (const r of req.resources) {
      responses.push(await alterTopic(ctx, r.resourceType, r.resourceName, req.validateOnly, (_current, defaults) => ({ ...defaults, ...parseTopicConfigEntries(r.configs) })));
    }
    return { throttleTimeMs: 0, responses };
  },
  errorResponse(req, _version, errorCode) {
    return { throttleTimeMs: 0, responses: req.resources.map((r) => ({ errorCode, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName })) };
  },
});
