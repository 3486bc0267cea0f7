// Child process for the crash test: appends deterministic batches at acks=-1 from
// several concurrent loops and prints one line per acknowledged batch, until killed.
import { SamsaEngine } from '../../src/broker/engine.js';
import { crashBatch } from './crash-batches.js';

const dataDir = process.argv[2]!;
const engine = await SamsaEngine.start({ dataDir, shards: 1, pin: false });
if (engine.describeTopic('crash') === undefined) await engine.createTopic('crash', 2);
process.stdout.write('ready\n');
let next = 0;
const LOOPS = 8;
const BATCHES_MAX = 1_000_000;
await Promise.all(
  Array.from({ length: LOOPS }, async () => {
    while (next < BATCHES_MAX) {
      const i = next++;
      const partition = i % 2;
      const r = await engine.append('crash', partition, crashBatch(i), -1);
      if (r.errorCode !== 0) throw new Error(`append ${i} failed: ${r.errorCode}`);
      process.stdout.write(`ack ${i} ${partition} ${r.baseOffset}\n`);
    }
  }),
);
