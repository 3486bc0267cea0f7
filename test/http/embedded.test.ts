// The listener as startBroker() composes it: on a free port beside the Kafka TCP
// listener, reporting its transport, serving /healthz, /metrics (fed by Kafka TCP
// traffic too) and /kafka; closed with the broker. Once per transport (the choice
// comes from SAMSA_HTTP_TRANSPORT, as for `samsa serve`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker } from '../../src/index.js';
import { ApiVersionsRequestCodec, ApiVersionsResponseCodec } from '../../src/wire/schemas/18-api-versions.js';
import { decodeResponse, encodeRequest } from '../kafka/harness.js';
import { TRANSPORTS, WsClient, request } from './harness.js';

for (const transport of TRANSPORTS) {
  test(`startBroker serves HTTP and WebSockets on ${transport}`, async () => {
    const saved = process.env.SAMSA_HTTP_TRANSPORT;
    process.env.SAMSA_HTTP_TRANSPORT = transport;
    let broker;
    try {
      broker = await startBroker({ shards: 1 });
    } finally {
      if (saved === undefined) delete process.env.SAMSA_HTTP_TRANSPORT;
      else process.env.SAMSA_HTTP_TRANSPORT = saved;
    }
    const base = `http://127.0.0.1:${broker.httpPort}`;
    try {
      assert.ok(broker.httpPort > 0 && broker.httpPort !== broker.kafkaPort);
      assert.equal(broker.http.transport, transport);
      assert.ok(broker.http.transportReason.length > 0);
      assert.equal((await request(base, 'GET', '/healthz')).status, 200);

      // Kafka over TCP (kafkajs) shows in the metrics next to HTTP traffic.
      const kafka = new Kafka({ brokers: [`127.0.0.1:${broker.kafkaPort}`], logLevel: logLevel.NOTHING });
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: 'emb', messages: [{ key: 'a', value: '1' }, { value: '2' }] });
      const metrics = (await request(base, 'GET', '/metrics')).text;
      assert.match(metrics, /^samsa_topic_records_in_total\{topic="emb"\} 2$/m);
      assert.match(metrics, /^samsa_kafka_requests_total\{api="Produce"\} [1-9]/m);
      assert.match(metrics, /^samsa_connections\{listener="kafka_tcp"\} [1-9]/m);
      await producer.disconnect();

      // The same topic over HTTP and over /kafka.
      const recs = await request(base, 'GET', '/topics/emb/partitions/0/records?offset=0&timeout=0');
      assert.equal(recs.status, 200);
      const ws = await WsClient.open(`ws://127.0.0.1:${broker.httpPort}/kafka`);
      ws.send(encodeRequest(ApiVersionsRequestCodec, 3, 5, { clientSoftwareName: 'emb', clientSoftwareVersion: '1' }));
      const m = await ws.next();
      assert.ok(m !== null);
      assert.equal(decodeResponse(ApiVersionsResponseCodec, 3, new Uint8Array(m.data)).correlationId, 5);
      ws.close();
    } finally {
      await broker.close();
    }
    await assert.rejects(fetch(`${base}/healthz`));
  });
}
