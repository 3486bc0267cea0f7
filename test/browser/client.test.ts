// Samsa's browser client in a real browser: test/browser/fixtures/client-app.mjs (an
// app importing `samsa/client/browser` and pure-JS gzip/snappy codecs from npm) is
// bundled by esbuild for the browser platform, served as a page, and run in Chromium
// against a real broker through ws://HOST:HTTP_PORT/kafka. It produces and consumes
// compressed batches; the log holds them compressed (attributes checked on disk),
// Samsa's Node client reads what the browser wrote, and the browser reads what the
// Node client wrote (gzip, and snappy in Kafka's xerial framing).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { Consumer, Producer, type CompressionType } from '../../src/client/index.js';
import { startBroker, type Broker } from '../../src/index.js';
import { ATTR_COMPRESSION_MASK, BATCH_LOG_OVERHEAD_BYTES, OFF_ATTRIBUTES, OFF_BATCH_LENGTH } from '../../src/wire/batch-layout.js';
import { COMPRESSION_CODES } from '../../src/wire/codecs.js';
import { collect } from '../client/helpers.js';
import { ROOT, launchOrSkip, outputDir, watchErrors } from './chromium.js';

interface BrowserRecord {
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  headers: Array<[string, string | null]>;
}

interface SamsaApp {
  produceAndConsume(a: { url: string; topic: string; compression: CompressionType; count: number }): Promise<{
    meta: Array<{ partition: number; offset: number }>;
    sent: Array<{ key: string; value: string; headers: Record<string, string> }>;
    got: BrowserRecord[];
  }>;
  consume(a: { url: string; topic: string; count: number }): Promise<BrowserRecord[]>;
  codecs(): Record<string, boolean>;
  userAgent(): string;
}

/** The page's globals (functions given to page.evaluate run in the page, so they name it inline). */
type AppWindow = { samsa: SamsaApp };

/** Compression codes of every batch stored in a partition. */
async function storedCodecs(broker: Broker, topic: string, partition: number): Promise<number[]> {
  const r = await broker.engine.read(topic, partition, 0, 16 * 1024 * 1024);
  const dv = new DataView(r.records.buffer, r.records.byteOffset, r.records.byteLength);
  const codes: number[] = [];
  for (let pos = 0; pos < r.records.byteLength && codes.length < 100_000; ) {
    codes.push(dv.getInt16(pos + OFF_ATTRIBUTES) & ATTR_COMPRESSION_MASK);
    pos += BATCH_LOG_OVERHEAD_BYTES + dv.getInt32(pos + OFF_BATCH_LENGTH);
  }
  return codes;
}

describe('samsa/client/browser in Chromium', () => {
  let broker: Broker;
  let server: Server;
  let pageUrl: string;
  let kafkaUrl: string;
  let browser: Browser | null = null;
  let page: Page;
  let errors: string[] = [];
  let bundleBytes = 0;

  before(async () => {
    broker = await startBroker({ shards: 1 });
    kafkaUrl = `ws://127.0.0.1:${broker.httpPort}/kafka`;
    // The app as a bundler sees it: `samsa/client/browser` resolves through this package's exports.
    const bundle = await build({
      entryPoints: [`${ROOT}test/browser/fixtures/client-app.mjs`],
      absWorkingDir: ROOT,
      bundle: true,
      platform: 'browser',
      format: 'esm',
      target: ['chrome109'],
      write: false,
      logLevel: 'error',
    });
    const js = bundle.outputFiles[0]!.text;
    bundleBytes = Buffer.byteLength(js);
    const html = '<!doctype html><meta charset="utf-8"><title>samsa browser client</title><link rel="icon" href="data:,"><script type="module" src="/app.js"></script><body>';
    server = createServer((req, res) => {
      if (req.url === '/app.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
      else if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html' }).end(html);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    pageUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await broker.close();
  });

  async function open(t: Parameters<typeof launchOrSkip>[0]): Promise<boolean> {
    if (browser === null) browser = await launchOrSkip(t);
    if (browser === null) return false;
    page = await browser.newPage();
    page.setDefaultTimeout(20_000);
    errors = watchErrors(page);
    await page.goto(pageUrl);
    await page.waitForSelector('body[data-ready="yes"]', { state: 'attached' });
    return true;
  }

  for (const compression of ['gzip', 'snappy'] as const) {
    test(`the bundled client produces and consumes ${compression} batches through ws://HOST:PORT/kafka`, async (t) => {
      if (!(await open(t))) return;
      assert.ok(bundleBytes > 0);
      assert.deepEqual(await page.evaluate(() => (globalThis as unknown as AppWindow).samsa.codecs()), { gzip: true, snappy: true, lz4: false }, 'only the codecs the app registered');
      assert.match(await page.evaluate(() => (globalThis as unknown as AppWindow).samsa.userAgent()), /Chrome\//);

      const topic = `browser-${compression}`;
      const count = 300;
      const r = await page.evaluate((a) => (globalThis as unknown as AppWindow).samsa.produceAndConsume(a), { url: kafkaUrl, topic, compression, count });
      const byPlace = new Map(r.got.map((m) => [`${m.partition}/${m.offset}`, m]));
      assert.equal(byPlace.size, count);
      r.meta.forEach((md, i) => {
        const m = byPlace.get(`${md.partition}/${md.offset}`);
        assert.ok(m !== undefined, `record ${i} read back`);
        assert.equal(m.key, r.sent[i]!.key);
        assert.equal(m.value, r.sent[i]!.value);
        assert.deepEqual(m.headers, [['n', String(i)]]);
      });

      // Stored compressed, as the browser wrote them.
      const codes = [...(await storedCodecs(broker, topic, 0)), ...(await storedCodecs(broker, topic, 1))];
      assert.ok(codes.length > 0);
      assert.deepEqual(new Set(codes), new Set([COMPRESSION_CODES[compression]]));

      // Samsa's Node client (native codecs) reads the browser's batches.
      const consumer = new Consumer({ bootstrap: `127.0.0.1:${broker.kafkaPort}`, autoOffsetReset: 'earliest', maxWaitMs: 100 });
      try {
        await consumer.assign([{ topic }]);
        const fromNode = await collect(consumer, count);
        const values = new Set(fromNode.map((m) => new TextDecoder().decode(m.value!)));
        assert.deepEqual(values, new Set(r.sent.map((s) => s.value)));
      } finally {
        await consumer.close();
      }
      await page.screenshot({ path: `${outputDir('browser-client')}/${compression}.png` });
      assert.deepEqual(errors, []);
    });
  }

  test('batches the Node client compressed (gzip; snappy in xerial framing) are read in the browser', async (t) => {
    if (!(await open(t))) return;
    for (const compression of ['gzip', 'snappy'] as const) {
      const topic = `node-${compression}`;
      const producer = new Producer({ bootstrap: `127.0.0.1:${broker.kafkaPort}`, compression, lingerMs: 5 });
      const values = Array.from({ length: 200 }, (_, i) => `${compression} from node ${i} ${'y'.repeat(i % 40)}`);
      try {
        await producer.send({ topic, messages: values.map((value, i) => ({ key: `k${i}`, value })) });
      } finally {
        await producer.close();
      }
      assert.deepEqual(new Set(await storedCodecs(broker, topic, 0)), new Set([COMPRESSION_CODES[compression]]));
      const got = await page.evaluate((a) => (globalThis as unknown as AppWindow).samsa.consume(a), { url: kafkaUrl, topic, count: values.length });
      assert.deepEqual(
        got.map((m) => m.value),
        values,
        `${compression}: the browser decoded every record in order`,
      );
    }
    assert.deepEqual(errors, []);
  });
});
