// ListTransactions (key 66): serves v0-2 (flexible). The coordinator's transactional
// ids, filtered as Kafka filters them: by state name (unknown names are returned in
// unknownStateFilters), by producer id, by duration (v1: only transactions open longer
// than durationFilter ms; an id with none open counts as open since -1, as in Kafka),
// and by transactionalIdPattern (v2: a regular expression the whole id must match;
// JavaScript's RegExp stands in for Java's Pattern, the same for ordinary patterns).
// Authorization (Kafka's): only the transactional ids the principal may DESCRIBE
// are listed.
// Owns: request → coordinator.list → filtered response.

import { ErrorCode } from '../../wire/errors.js';
import { ListTransactionsRequestCodec, ListTransactionsResponseCodec } from '../../wire/schemas/66-list-transactions.js';
import { TXN_STATE_NAMES } from '../../txn/state-store.js';
import { defineApi } from './types.js';
import { Op, Resource, allowed } from './authz.js';

/** Longest pattern accepted: a regular expression is compiled per request. */
const PATTERN_CHARS_MAX = 1024;

export const listTransactionsApi = defineApi({
  minVersion: 0,
  maxVersion: 2,
  request: ListTransactionsRequestCodec,
  response: ListTransactionsResponseCodec,
  async handle(ctx, req) {
    await ctx.txns.coordinator.ready();
    const known = new Set<string>(TXN_STATE_NAMES);
    const states = new Set(req.stateFilters.filter((s) => known.has(s)));
    const unknownStateFilters = req.stateFilters.filter((s) => !known.has(s));
    const producerIds = new Set(req.producerIdFilters);
    let pattern: RegExp | null = null;
    if (req.transactionalIdPattern !== null && req.transactionalIdPattern !== '') {
      try {
        if (req.transactionalIdPattern.length > PATTERN_CHARS_MAX) throw new Error('too long');
        pattern = new RegExp(`^(?:${req.transactionalIdPattern})$`);
      } catch {
        return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REGULAR_EXPRESSION, unknownStateFilters: [], transactionStates: [] };
      }
    }
    const nowMs = Date.now();
    const transactionStates = ctx.txns.coordinator.list()
      .filter((d) => req.stateFilters.length === 0 || states.has(d.state))
      .filter((d) => producerIds.size === 0 || producerIds.has(d.producerId))
      .filter((d) => req.durationFilter < 0 || nowMs - d.startMs > req.durationFilter)
      .filter((d) => pattern === null || pattern.test(d.transactionalId))
      // Kafka's: only the ids the principal may DESCRIBE are listed (not audited as refusals).
      .filter((d) => allowed(ctx, Op.DESCRIBE, Resource.TRANSACTIONAL_ID, d.transactionalId, false))
      .map((d) => ({ transactionalId: d.transactionalId, producerId: d.producerId, transactionState: d.state }));
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, unknownStateFilters, transactionStates };
  },
  errorResponse(_req, _version, errorCode) {
    return { throttleTimeMs: 0, errorCode, unknownStateFilters: [], transactionStates: [] };
  },
});
