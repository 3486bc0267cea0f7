// The web console in a real browser (Debian's Chromium via playwright-core) against a
// real broker: create a topic → produce from the form → the live tail shows the record
// (search, pause, resume without loss or repeats) → a kafkajs consumer group's lag
// appears with its member and assignment; then topic configs (set, reset), growing and
// deleting a topic, the broker's shards and the metrics charts. Screenshots of each
// step go to test-output/console/ (git-ignored).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import type { Browser, Page } from 'playwright-core';
import { startBroker, type Broker } from '../../src/index.js';
import { launchOrSkip, outputDir, watchErrors } from './chromium.js';

/** Upper bound for one UI step to show up (a failure, never a measurement). */
const STEP_TIMEOUT_MS = 15_000;

describe('web console in Chromium', () => {
  let broker: Broker;
  let base: string;
  let browser: Browser | null = null;
  let page: Page;
  let errors: string[] = [];
  const shots = outputDir('console');
  const shot = (name: string) => page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });

  before(async () => {
    broker = await startBroker({ shards: 2, 'group.initial.rebalance.delay.ms': 0 });
    base = `http://127.0.0.1:${broker.httpPort}`;
  });
  after(async () => {
    await browser?.close();
    await broker.close();
  });

  async function open(t: Parameters<typeof launchOrSkip>[0]): Promise<boolean> {
    if (browser === null) browser = await launchOrSkip(t);
    if (browser === null) return false;
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    errors = watchErrors(page);
    return true;
  }

  test('create topic → produce → live tail shows the record → group lag appears', async (t) => {
    if (!(await open(t))) return;

    // A browser asking for / gets the console (curl gets the endpoint list, test/http).
    await page.goto(`${base}/`);
    await page.getByTestId('health').getByText('broker up').waitFor();

    // A bad name is refused with the API's message, shown by the form.
    await page.getByTestId('create-topic-name').fill('bad name');
    await page.getByTestId('create-topic-form').evaluate((f) => (f as unknown as { requestSubmit(): void }).requestSubmit());
    await page.getByTestId('create-topic-status').getByText('42217').waitFor();

    await page.getByTestId('create-topic-name').fill('orders');
    await page.getByTestId('create-topic-partitions').fill('2');
    await page.getByTestId('create-topic-submit').click();
    await page.waitForURL(/#\/topics\/orders$/);
    await page.getByTestId('partitions-table').locator('tbody tr').nth(1).waitFor();
    assert.equal(await page.getByTestId('partitions-table').locator('tbody tr').count(), 2);
    assert.equal(broker.engine.describeTopic('orders')?.partitions, 2, 'the broker has the topic the form created');
    await shot('01-topic-created');

    // Live tail, then produce from the form on the same page.
    await page.getByTestId('open-tail').click();
    await page.waitForURL(/#\/tail\/orders$/);
    await page.getByTestId('tail-state').getByText('live').waitFor();
    await page.getByTestId('produce-key').fill('user-42');
    await page.getByTestId('produce-value').fill('{"amount": 42, "currency": "EUR"}');
    await page.getByTestId('produce-headers').fill('source: console\ntrace: abc-1');
    await page.getByTestId('produce-submit').click();
    await page.getByTestId('produce-status').getByText(/written to partition \d at offset 0/).waitFor();
    const row = page.getByTestId('tail-rows').locator('tr', { hasText: 'user-42' });
    await row.waitFor();
    assert.match(await row.innerText(), /\{ "amount": 42, "currency": "EUR" \}/);
    assert.match(await row.innerText(), /source: console/);
    assert.match(await row.innerText(), /trace: abc-1/);
    await shot('02-live-tail');

    // The search box filters the rows it shows.
    await page.getByTestId('tail-search').fill('no such text');
    await page.getByTestId('tail-count').getByText('0 of 1 records match').waitFor();
    await page.getByTestId('tail-search').fill('ABC-1');
    await page.getByTestId('tail-count').getByText('1 of 1 records match').waitFor();
    await page.getByTestId('tail-search').fill('');

    // Pause; a record written meanwhile shows after resuming, once, after the first.
    await page.getByTestId('tail-pause').click();
    await page.getByTestId('tail-state').getByText('paused').waitFor();
    const produced = await fetch(`${base}/topics/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ records: [{ key: 'user-7', value: 'while paused' }] }) });
    assert.equal(produced.status, 200);
    await page.getByTestId('tail-pause').click();
    await page.getByTestId('tail-rows').locator('tr', { hasText: 'while paused' }).waitFor();
    await page.getByTestId('tail-count').getByText('2 records').waitFor();
    assert.equal(await page.getByTestId('tail-rows').locator('tr', { hasText: 'user-42' }).count(), 1, 'resuming does not repeat records');

    // A kafkajs group reads both records, commits, and pauses; three more arrive: lag 3.
    const kafka = new Kafka({ clientId: 'billing-svc', brokers: [`127.0.0.1:${broker.kafkaPort}`], logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 50 } });
    const consumer: Consumer = kafka.consumer({ groupId: 'billing', sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: 'orders', fromBeginning: true });
      let seen = 0;
      let bothSeen: () => void = () => {};
      const done = new Promise<void>((r) => (bothSeen = r));
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ topic, partition, message }) => {
          await consumer.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
          if (++seen === 2) bothSeen();
        },
      });
      await done;
      consumer.pause([{ topic: 'orders' }]);
      for (let i = 0; i < 3; i++) {
        await page.getByTestId('produce-value').fill(`late ${i}`);
        await page.getByTestId('produce-submit').click();
        await page.getByTestId('tail-rows').locator('tr', { hasText: `late ${i}` }).waitFor();
      }

      await page.goto(`${base}/#/groups`);
      const groupRow = page.getByTestId('groups-table').locator('tr[data-group="billing"]');
      await groupRow.getByTestId('group-lag').getByText('3', { exact: true }).waitFor();
      assert.match(await groupRow.innerText(), /Stable/);
      await shot('03-groups');

      await groupRow.getByRole('link', { name: 'billing' }).click();
      await page.waitForURL(/#\/groups\/billing$/);
      await page.getByTestId('group-total-lag').getByText('3').waitFor();
      const members = page.getByTestId('members-table');
      await members.getByText('billing-svc', { exact: true }).waitFor();
      assert.match(await members.innerText(), /orders \[0, 1\]/);
      assert.equal(await page.getByTestId('offsets-table').locator('tbody tr').count(), 2);
      await shot('04-group');
    } finally {
      await consumer.disconnect();
    }
    assert.deepEqual(errors, []);
  });

  test('topic configs are set and reset, partitions grow, a topic is deleted', async (t) => {
    if (!(await open(t))) return;
    await fetch(`${base}/topics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'settings', partitions: 1 }) });
    await page.goto(`${base}/#/topics/settings`);
    const retention = page.locator('input[data-config="retention.ms"]');
    await retention.fill('60000');
    await page.getByTestId('configs-table').locator('tr', { has: retention }).getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('config-status').getByText('retention.ms = 60000').waitFor();
    assert.equal(broker.engine.describeTopic('settings')?.config['retention.ms'], 60000);
    // Overridden settings are listed first, with a Reset button.
    const first = page.getByTestId('configs-table').locator('tbody tr').first();
    await first.getByText('retention.ms').waitFor();
    await shot('05-topic-configs');
    await first.getByRole('button', { name: 'Reset' }).click();
    await page.getByTestId('config-status').getByText('back to the broker default').waitFor();
    assert.equal(broker.engine.describeTopic('settings')?.config['retention.ms'], broker.engine.defaultTopicConfig()['retention.ms']);

    await page.getByTestId('grow-partitions').fill('3');
    await page.getByRole('button', { name: 'Add partitions' }).click();
    await page.getByTestId('grow-status').getByText('has 3 partitions').waitFor();
    await page.getByTestId('partitions-table').locator('tbody tr').nth(2).waitFor();
    assert.equal(broker.engine.describeTopic('settings')?.partitions, 3);

    await page.getByTestId('delete-confirm').fill('settings');
    await page.getByRole('button', { name: 'Delete topic' }).click();
    await page.waitForURL(/#\/topics$/);
    await page.getByTestId('topics-table').locator('tr[data-topic="orders"]').waitFor();
    assert.equal(await page.getByTestId('topics-table').locator('tr[data-topic="settings"]').count(), 0);
    assert.equal(broker.engine.describeTopic('settings'), undefined);
    assert.deepEqual(errors, []);
  });

  test('the broker view lists the shards, and the metrics charts draw the broker’s own samples', async (t) => {
    if (!(await open(t))) return;
    await page.goto(`${base}/#/broker`);
    const shards = page.getByTestId('shards-table');
    await shards.locator('tr[data-shard="1"]').waitFor();
    assert.equal(await shards.locator('tbody tr').count(), 2);
    // Earlier produces were fsynced (acks=-1), so shard fsync means are numbers.
    await page.getByTestId('fsync-mean').getByText(/µs|ms/).first().waitFor();
    await shot('06-broker');

    await page.goto(`${base}/#/metrics`);
    // Produce while the page samples (every 2 s) until the records-in rate it charts is above zero.
    const records = page.getByTestId('chart-records');
    const inRate = records.locator('.legend-item').first().locator('b');
    const positive = (t: string): boolean => parseFloat(t) > 0;
    for (let i = 0; i < 100 && !positive(await inRate.innerText()); i++) {
      await fetch(`${base}/topics/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ records: [{ value: i }] }) });
      await page.waitForTimeout(100);
    }
    assert.ok(positive(await inRate.innerText()), `records in: ${await inRate.innerText()}`);
    assert.ok((await records.locator('path.line').count()) >= 1);
    // A horizontal line has an empty bounding box, so "attached", not "visible".
    await page.getByTestId('chart-produce-latency').locator('path.line').first().waitFor({ state: 'attached' });
    assert.match(await page.getByTestId('chart-produce-latency').locator('.legend-item b').nth(1).innerText(), /ms$/, 'the p50 legend shows a latency');
    await shot('07-metrics');
    assert.deepEqual(errors, []);
  });
});
