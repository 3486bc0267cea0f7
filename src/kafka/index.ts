// Public surface of the Kafka protocol layer, for the CLI/server, the WebSocket
// listener and the TypeScript client. Owns: the export list only.
//
// Server side:   startKafkaTcpServer(engine, opts) → { port, handler, close() }
//                createKafkaHandler(engine, opts) → handler.handle(frame, conn)
//                new RequestPipeline(handler, callbacks, clientHost) per client connection
// Client side:   the codec (Reader, Writer, MessageCodec), the headers and SCHEMAS —
//                import those from './codec/*' and './schemas/*' directly in browser
//                code: this index also exports Node-only server modules.

export { startKafkaTcpServer, type KafkaTcpServer, type KafkaTcpServerOptions } from './tcp-server.js';
export {
  createKafkaHandler,
  DEFAULT_KAFKA_OPTIONS,
  ProtocolError,
  type ConnectionContext,
  type KafkaHandler,
  type KafkaHandlerOptions,
  type KafkaLogger,
} from './handler.js';
export { RequestPipeline, type PipelineCallbacks } from './pipeline.js';
export { KafkaConnection, type ConnectionOptions } from './connection.js';
export type { KafkaOptions } from './apis/types.js';
export { MessageCodec } from '../wire/codec/compile.js';
export { Reader } from '../wire/codec/reader.js';
export { Writer } from '../wire/codec/writer.js';
export { DecodeError, EncodeError } from '../wire/codec/errors.js';
export { SCHEMAS, SCHEMAS_BY_KEY } from '../wire/schemas/index.js';
export { RequestHeaderCodec, ResponseHeaderCodec, requestHeaderVersion, responseHeaderVersion } from '../wire/schemas/headers.js';
