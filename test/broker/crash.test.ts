// Crash test: kill -9 a broker process during acks=-1 appends; after restart every
// acknowledged batch is there, byte for byte, at the offset it was acknowledged with.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { SamsaEngine } from '../../src/broker/engine.js';
import { batchSizeAt, getBaseOffset, setBaseOffset } from '../../src/wire/batch-layout.js';
import { crashBatch } from './crash-batches.js';
import { tempDir } from '../helpers/tmp.js';

const CHILD = new URL('./crash-child.js', import.meta.url);

interface Ack {
  i: number;
  partition: number;
  baseOffset: number;
}

async function runAndKill(dataDir: string, acksBeforeKill: number): Promise<Ack[]> {
  const child = spawn(process.execPath, [CHILD.pathname, dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const acks: Ack[] = [];
  const rl = createInterface({ input: child.stdout });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for await (const line of rl) {
    const m = /^ack (\d+) (\d+) (\d+)$/.exec(line);
    if (m !== null) acks.push({ i: Number(m[1]), partition: Number(m[2]), baseOffset: Number(m[3]) });
    if (acks.length >= acksBeforeKill) {
      child.kill('SIGKILL');
      break;
    }
  }
  rl.close();
  await exited;
  return acks;
}

test('kill -9 during acks=-1 appends loses no acknowledged record', async () => {
  const { dir, cleanup } = tempDir('samsa-crash-');
  try {
    // Two crashes in a row: recovery must also hold after recovering once.
    const first = await runAndKill(dir, 400);
    const second = await runAndKill(dir, 300);
    assert.ok(first.length >= 400 && second.length >= 300);
    const engine = await SamsaEngine.start({ dataDir: dir, shards: 1, pin: false });
    try {
      assert.equal(engine.recoveredUncleanly, true);
      const stored = new Map<string, Uint8Array>();
      for (const partition of [0, 1]) {
        const { highWatermark } = engine.offsets('crash', partition);
        let offset = 0;
        for (let rounds = 0; offset < highWatermark && rounds < 100_000; rounds++) {
          const r = await engine.read('crash', partition, offset, 1 << 20);
          assert.equal(r.errorCode, 0);
          for (let pos = 0; pos < r.records.byteLength; ) {
            const size = batchSizeAt(r.records, pos);
            const batch = r.records.subarray(pos, pos + size);
            stored.set(`${partition}:${getBaseOffset(batch)}`, batch);
            pos += size;
            offset = getBaseOffset(batch) + new DataView(batch.buffer, batch.byteOffset).getInt32(23) + 1;
          }
        }
      }
      // The second run's batch numbers restart at 0; its acks name the offsets after the first run's.
      for (const ack of [...first, ...second]) {
        const got = stored.get(`${ack.partition}:${ack.baseOffset}`);
        assert.ok(got !== undefined, `acknowledged batch ${ack.i} at ${ack.partition}:${ack.baseOffset} is missing`);
        const want = crashBatch(ack.i);
        setBaseOffset(want, ack.baseOffset);
        assert.deepEqual(Buffer.from(got), Buffer.from(want), `batch ${ack.i} differs`);
      }
      // And the log is writable after recovery.
      const r = await engine.append('crash', 0, crashBatch(0), -1);
      assert.equal(r.errorCode, 0);
    } finally {
      await engine.close();
    }
  } finally {
    cleanup();
  }
});
