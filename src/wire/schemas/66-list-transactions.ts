// ListTransactions (key 66) request and response schemas, v0-2 (flexible from 0), transcribed
// from apache/kafka's clients/src/main/resources/common/message/ListTransactionsRequest.json and
// ListTransactionsResponse.json (v1: DurationFilter, KIP-994; v2: TransactionalIdPattern,
// KIP-1152). Owns: the field lists; the value types are inferred from them (codec/infer.ts),
// never written a second time. Must not import anything outside wire/ (the browser client
// shares it).

import { type MessageOf, defineMessage } from '../codec/infer.js';

export const ListTransactionsRequestCodec = defineMessage({
  name: 'ListTransactionsRequest',
  apiKey: 66,
  type: 'request',
  validVersions: '0-2',
  flexibleVersions: '0+',
  fields: [
    { name: 'stateFilters', type: '[]string', versions: '0+' },
    { name: 'producerIdFilters', type: '[]int64', versions: '0+' },
    { name: 'durationFilter', type: 'int64', versions: '1+', default: -1 },
    { name: 'transactionalIdPattern', type: 'string', versions: '2+', nullableVersions: '2+', default: null },
  ],
});
export type ListTransactionsRequest = MessageOf<typeof ListTransactionsRequestCodec>;

export const ListTransactionsResponseCodec = defineMessage({
  name: 'ListTransactionsResponse',
  apiKey: 66,
  type: 'response',
  validVersions: '0-2',
  flexibleVersions: '0+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'unknownStateFilters', type: '[]string', versions: '0+' },
    {
      name: 'transactionStates',
      type: '[]TransactionState',
      versions: '0+',
      fields: [
        { name: 'transactionalId', type: 'string', versions: '0+' },
        { name: 'producerId', type: 'int64', versions: '0+' },
        { name: 'transactionState', type: 'string', versions: '0+' },
      ],
    },
  ],
});
export type ListTransactionsResponse = MessageOf<typeof ListTransactionsResponseCodec>;
