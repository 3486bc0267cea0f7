// Samsa's TypeScript client, browser entry: Producer, Consumer and Admin over
// WebSocket (`url: 'ws://host:port/kafka'`). Owns: the public surface only. Must
// not import Node built-ins or native packages, directly or through its imports:
// no compression codec is registered here (register one with registerCompression)
// and CRC-32C is the plain-JS one unless setCrc32c installs another. The Node
// entry (index.ts) re-exports all of this after filling the codec registry.

export { Producer } from './producer.js';
export type { HeaderValue, Partitioner, ProducerMessage, ProducerOptions, ProducerRecord, RecordMetadata } from './producer.js';
export { Consumer } from './consumer.js';
export type { AssignEntry, ConsumerOptions, EachBatchPayload, Message, OffsetResetPolicy, RecordHeader, RunOptions, SeekTarget, TopicPartition } from './consumer.js';
export { Admin } from './admin.js';
export type {
  AdminOptions,
  AdminRequestOptions,
  ClusterMetadata,
  ConfigEntry,
  ConfigResource,
  ConfigResourceResult,
  GroupDescription,
  GroupListing,
  GroupOffset,
  NewTopic,
  OffsetSpec,
  PartitionMetadata,
  PartitionOffset,
  TopicMetadata,
} from './admin.js';
export { Connection, API_KEYS } from './connection.js';
export type { ConnectionOptions, RequestOptions } from './connection.js';
export type { ClientTlsOptions, Transport, TransportFactory, TransportOptions, TransportTarget } from './transport.js';
export { COMPRESSION_CODES, isCompressionAvailable, registerCompression, setCrc32c } from '../wire/codecs.js';
export type { CompressionCodec, CompressionType } from '../wire/codecs.js';
export { AuthenticationError, ClientClosedError, ConnectionError, ErrorCode, KafkaError, errorName, isRetriable } from './errors.js';
export type { SaslMechanism, SaslOptions } from './sasl.js';
export { murmur2, partitionForKey, toPositive } from '../wire/partitioner.js';
