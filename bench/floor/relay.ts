// The Node.js relay of bench/floor.bench.ts: what Node's event loop and `net` sockets
// cost on the path floor.c's `latency` load measures, with no protocol and no thread
// hand-off. The same contract as `floor relay`: a connection's first byte says 'C'
// (consumer) or 'P' (producer); each chunk a producer sends goes to the consumer in one
// write, and the producer gets an 8-byte acknowledgement per chunk.
// Prints `listening port=N` once bound. Owns: nothing of the broker; must not import it.
//
// Usage: node dist/bench/floor/relay.js [--port 0]

import { type Socket, createServer } from 'node:net';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { port: { type: 'string', default: '0' } } });
const ACK = Buffer.alloc(8);
const CONSUMER = 0x43; // 'C'
let consumer: Socket | null = null;

const server = createServer({ noDelay: true }, (socket) => {
  let role: 'consumer' | 'producer' | null = null;
  socket.on('data', (chunk: Buffer) => {
    let bytes = chunk;
    if (role === null) {
      role = bytes[0] === CONSUMER ? 'consumer' : 'producer';
      if (role === 'consumer') consumer = socket;
      bytes = bytes.subarray(1);
    }
    if (role !== 'producer' || bytes.byteLength === 0) return;
    consumer?.write(bytes);
    socket.write(ACK);
  });
  socket.on('error', () => socket.destroy());
  socket.on('close', () => {
    if (consumer === socket) consumer = null;
  });
});
server.listen(Number(args.port), '127.0.0.1', () => {
  const a = server.address();
  console.log(`listening port=${typeof a === 'object' && a !== null ? a.port : '?'}`);
});
