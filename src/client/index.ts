// Samsa's TypeScript client, Node entry (`samsa/client`): everything the browser
// entry exports, with the codec registry filled from Node (node:zlib gzip, snappy,
// lz4-napi, optional zstd-napi, native CRC-32C) and TCP available through
// `bootstrap: 'host:port'`. Owns: the public surface only.
//
//   const producer = new Producer({ bootstrap: 'localhost:9092', compression: 'lz4' });
//   const [meta] = await producer.send({ topic: 'events', messages: [{ key: 'user-1', value: 'hi', headers: { h: 'v' } }] });
//   const consumer = new Consumer({ url: 'ws://localhost:8080/kafka', autoOffsetReset: 'earliest' });
//   await consumer.assign([{ topic: 'events' }]);            // every partition
//   await consumer.seek('events', 0, { timestamp: Date.now() - 60_000 });
//   for await (const m of consumer) console.log(m.partition, m.offset, m.value);
//   const admin = new Admin({ bootstrap: 'localhost:9092' });
//   await admin.createTopics([{ name: 'events', numPartitions: 6, configs: { 'retention.ms': '86400000' } }]);

import './node.js';

export * from './browser.js';
export { ClientPropertyError, SECRET_CLIENT_PROPERTIES, clientOptionsFromProperties, parseJaasConfig } from './kafka-properties.js';
