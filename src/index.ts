// Samsa's public entry point (`import … from 'samsa'`). Owns: what embedders see.
export { startBroker, startBrokerWithConfig } from './server.js';
export type { Broker, StartBrokerOptions } from './server.js';
export { startEngine, SamsaEngine } from './broker/engine.js';
export type { EngineOptions } from './broker/engine.js';
export type * from './broker/engine-api.js';
export { ErrorCode, KafkaError, errorName } from './wire/errors.js';
export { SETTINGS, resolveConfig } from './config/config.js';
export type { BrokerConfig } from './config/config.js';
