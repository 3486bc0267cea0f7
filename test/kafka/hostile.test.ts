// Hostile input on the TCP listener and the dispatcher: random bytes, negative and
// huge sizes, unknown keys and versions, truncated frames, mutated requests. The
// broker must close only the offending connection, keep serving, and keep its data.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { ProtocolError } from '../../src/kafka/handler.js';
import { APIS } from '../../src/kafka/apis/index.js';
import { ApiVersionsRequestCodec, ApiVersionsResponseCodec } from '../../src/wire/schemas/18-api-versions.js';
import { ProduceRequestCodec } from '../../src/wire/schemas/00-produce.js';
import { MetadataRequestCodec } from '../../src/wire/schemas/03-metadata.js';
import { encodeRequest, RawClient, startTestBroker, type TestBroker } from './harness.js';

const REQUEST_MAX_BYTES = 64 * 1024;
let broker: TestBroker;

before(async () => {
  broker = await startTestBroker({ requestMaxBytes: REQUEST_MAX_BYTES });
  await broker.engine.createTopic('keep', 1);
  const res = await broker.engine.append('keep', 0, encodeRecordBatch([{ value: 'precious' }]), -1);
  assert.equal(res.errorCode, 0);
});

after(() => broker.close());

/** The broker still answers on a fresh connection and the stored data is unchanged. */
async function assertHealthy(): Promise<void> {
  const c = await RawClient.connect(broker.port);
  try {
    const res = await c.request(ApiVersionsRequestCodec, ApiVersionsResponseCodec, 3, { clientSoftwareName: 'probe', clientSoftwareVersion: '1' });
    assert.equal(res.errorCode, 0);
  } finally {
    c.close();
  }
  assert.equal(broker.engine.offsets('keep', 0).highWatermark, 1);
}

/** Sends bytes on a new connection and waits until the broker closes it. */
async function expectClosed(bytes: Uint8Array, end = false): Promise<void> {
  const c = await RawClient.connect(broker.port);
  c.writeRaw(bytes);
  if (end) c.socket.end();
  await c.closed;
}

function sized(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setInt32(0, body.length);
  out.set(body, 4);
  return out;
}

test('negative, huge and over-limit sizes close the connection', async () => {
  await expectClosed(Uint8Array.from([0xff, 0xff, 0xff, 0xff]));
  await expectClosed(Uint8Array.from([0x80, 0, 0, 0]));
  await expectClosed(Uint8Array.from([0x7f, 0xff, 0xff, 0xff, 1, 2, 3]));
  await expectClosed(sized(new Uint8Array(REQUEST_MAX_BYTES + 1)).subarray(0, 4));
  await assertHealthy();
});

test('frames shorter than a header, unknown API keys and unsupported versions close the connection', async () => {
  await expectClosed(sized(new Uint8Array(0)));
  await expectClosed(sized(Uint8Array.from([0, 18, 0])));
  await expectClosed(sized(Uint8Array.from([0x03, 0xe7, 0, 0, 0, 0, 0, 1, 0, 0]))); // key 999
  await expectClosed(sized(Uint8Array.from([0x7f, 0xff, 0, 0, 0, 0, 0, 1, 0, 0]))); // key 32767
  await expectClosed(sized(Uint8Array.from([0xff, 0xff, 0, 0, 0, 0, 0, 1, 0, 0]))); // key -1
  await expectClosed(sized(Uint8Array.from([0, 0, 0, 1, 0, 0, 0, 1, 0, 0]))); // Produce v1
  await expectClosed(sized(Uint8Array.from([0, 0, 0, 2, 0, 0, 0, 1, 0, 0]))); // Produce v2: listed by ApiVersions (as Kafka 4), not served
  await expectClosed(sized(Uint8Array.from([0, 3, 0, 99, 0, 0, 0, 1, 0, 0]))); // Metadata v99
  await assertHealthy();
});

test('truncated frames and garbage bodies close the connection', async () => {
  const good = encodeRequest(MetadataRequestCodec, 9, 1, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  const framed = sized(good);
  await expectClosed(framed.subarray(0, framed.length - 3), true);
  await expectClosed(framed.subarray(0, 2), true);
  // Valid header, body claims a compact array of 2^31 elements.
  const bad = Uint8Array.from([0, 3, 0, 9, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x07]);
  await expectClosed(sized(bad));
  // A string length that overruns the frame.
  await expectClosed(sized(Uint8Array.from([0, 3, 0, 1, 0, 0, 0, 1, 0x7f, 0xff, 0x41])));
  await assertHealthy();
});

test('a valid request sent one byte at a time is answered', async () => {
  const c = await RawClient.connect(broker.port);
  try {
    const framed = sized(encodeRequest(ApiVersionsRequestCodec, 3, 42, { clientSoftwareName: 'slow', clientSoftwareVersion: '1' }));
    for (const b of framed) {
      c.writeRaw(Uint8Array.of(b));
      await new Promise((r) => setImmediate(r));
    }
    const frame = await c.nextFrame();
    assert.ok(frame !== null);
    assert.equal(new DataView(frame.buffer, frame.byteOffset).getInt32(0), 42);
  } finally {
    c.close();
  }
});

test('random bytes on the socket never take the broker down', async () => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }), async (bytes) => {
      const c = await RawClient.connect(broker.port);
      c.writeRaw(bytes);
      c.socket.end();
      // Either a response (random bytes can form a valid ApiVersions request) or a close.
      await c.closed;
    }),
    { numRuns: 40 },
  );
  await assertHealthy();
});

test('random bodies after a valid header, for every served API and version, are answered or refused cleanly', async () => {
  const handler = broker.server.handler;
  const signal = new AbortController().signal;
  const apiVersion = fc.constantFrom(...APIS.flatMap((a) => Array.from({ length: a.maxVersion - a.minVersion + 1 }, (_, i) => [a.apiKey, a.minVersion + i] as const)));
  await fc.assert(
    fc.asyncProperty(apiVersion, fc.uint8Array({ maxLength: 200 }), async ([key, version], body) => {
      const frame = new Uint8Array(10 + body.length);
      const dv = new DataView(frame.buffer);
      dv.setInt16(0, key);
      dv.setInt16(2, version);
      dv.setInt32(4, 7);
      dv.setInt16(8, -1); // null client id
      frame.set(body, 10);
      try {
        await handler.handle(frame, { signal });
      } catch (err) {
        assert.ok(err instanceof ProtocolError, `unexpected ${String(err)}`);
      }
    }),
    { numRuns: 300 },
  );
  await assertHealthy();
});

test('bit flips in a valid produce request are answered or refused cleanly', async () => {
  const handler = broker.server.handler;
  const signal = new AbortController().signal;
  const records = encodeRecordBatch([{ key: 'k', value: 'v' }]);
  const frame = encodeRequest(ProduceRequestCodec, 9, 1, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'flip', partitionData: [{ index: 0, records }] }] });
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: frame.length * 8 - 1 }), async (bit) => {
      const copy = frame.slice();
      copy[bit >> 3]! ^= 1 << (bit & 7);
      try {
        await handler.handle(copy, { signal });
      } catch (err) {
        assert.ok(err instanceof ProtocolError, `unexpected ${String(err)}`);
      }
    }),
    { numRuns: 200 },
  );
  // The produce target never existed, so nothing may have been written anywhere.
  assert.equal(broker.engine.describeTopic('flip'), undefined);
  await assertHealthy();
});
