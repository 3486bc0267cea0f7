// InitProducerId (key 22, v0-4) and FindCoordinator (key 10, v0-4) schemas, from
// the matching apache/kafka message JSON files. Owns: layouts and value types only
// (shared with the client). InitProducerId: v2 first flexible; v3 (KIP-360) sends
// the current id/epoch to bump the epoch. FindCoordinator: v1 key types; v3 first
// flexible; v4 batches keys (KIP-699).

import { MessageCodec } from '../codec/compile.js';

export interface InitProducerIdRequest {
  transactionalId: string | null;
  transactionTimeoutMs: number;
  producerId: number;
  producerEpoch: number;
}

export interface InitProducerIdResponse {
  throttleTimeMs: number;
  errorCode: number;
  producerId: number;
  producerEpoch: number;
}

export const InitProducerIdRequestCodec = new MessageCodec<InitProducerIdRequest>({
  name: 'InitProducerIdRequest',
  apiKey: 22,
  type: 'request',
  validVersions: '0-4',
  flexibleVersions: '2+',
  fields: [
    { name: 'transactionalId', type: 'string', versions: '0+', nullableVersions: '0+' },
    { name: 'transactionTimeoutMs', type: 'int32', versions: '0+' },
    { name: 'producerId', type: 'int64', versions: '3+', default: -1 },
    { name: 'producerEpoch', type: 'int16', versions: '3+', default: -1 },
  ],
});

export const InitProducerIdResponseCodec = new MessageCodec<InitProducerIdResponse>({
  name: 'InitProducerIdResponse',
  apiKey: 22,
  type: 'response',
  validVersions: '0-4',
  flexibleVersions: '2+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'producerId', type: 'int64', versions: '0+', default: -1 },
    { name: 'producerEpoch', type: 'int16', versions: '0+' },
  ],
});

export interface FindCoordinatorRequest {
  key: string;
  keyType: number;
  coordinatorKeys: string[];
}

export interface Coordinator {
  key: string;
  nodeId: number;
  host: string;
  port: number;
  errorCode: number;
  errorMessage: string | null;
}

export interface FindCoordinatorResponse {
  throttleTimeMs: number;
  errorCode: number;
  errorMessage: string | null;
  nodeId: number;
  host: string;
  port: number;
  coordinators: Coordinator[];
}

export const FindCoordinatorRequestCodec = new MessageCodec<FindCoordinatorRequest>({
  name: 'FindCoordinatorRequest',
  apiKey: 10,
  type: 'request',
  validVersions: '0-4',
  flexibleVersions: '3+',
  fields: [
    { name: 'key', type: 'string', versions: '0-3' },
    { name: 'keyType', type: 'int8', versions: '1+', default: 0 },
    { name: 'coordinatorKeys', type: '[]string', versions: '4+' },
  ],
});

export const FindCoordinatorResponseCodec = new MessageCodec<FindCoordinatorResponse>({
  name: 'FindCoordinatorResponse',
  apiKey: 10,
  type: 'response',
  validVersions: '0-4',
  flexibleVersions: '3+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+' },
    { name: 'errorCode', type: 'int16', versions: '0-3' },
    { name: 'errorMessage', type: 'string', versions: '1-3', nullableVersions: '1-3', default: null },
    { name: 'nodeId', type: 'int32', versions: '0-3' },
    { name: 'host', type: 'string', versions: '0-3' },
    { name: 'port', type: 'int32', versions: '0-3' },
    {
      name: 'coordinators',
      type: '[]Coordinator',
      versions: '4+',
      fields: [
        { name: 'key', type: 'string', versions: '4+' },
        { name: 'nodeId', type: 'int32', versions: '4+' },
        { name: 'host', type: 'string', versions: '4+' },
        { name: 'port', type: 'int32', versions: '4+' },
        { name: 'errorCode', type: 'int16', versions: '4+' },
        { name: 'errorMessage', type: 'string', versions: '4+', nullableVersions: '4+', default: null },
      ],
    },
  ],
});
