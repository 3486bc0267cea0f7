// Tests the addon's sendPartsOffThread (a response's bytes and file ranges sent from a
// libuv pool thread, which waits there while the socket is full) over a real TCP
// connection: byte-exact through a reader that stops reading and resumes, partial
// results that resume where they stopped, and byte parts copied at the call (the
// caller may reuse its arrays at once). Skipped where the addon or Linux is missing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, connect } from 'node:net';
import type { Socket } from 'node:net';
import { once } from 'node:events';
import { setSocketSendBuffer, zeroCopyCalls } from '../../src/platform/native.js';
import { tempDir } from '../helpers/tmp.js';

const FILE_BYTES = 6 << 20;
const RANGE_START = 1000;
const BUDGET_MS = 20;

function fdOf(socket: Socket): number {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } | null })._handle?.fd;
  assert.ok(typeof fd === 'number' && fd >= 0, 'socket descriptor');
  return fd;
}

test('sendPartsOffThread: byte-exact through a stalled reader, resumable, byte parts copied at the call', async (t) => {
  const calls = zeroCopyCalls();
  if (calls === null || calls.sendPartsOffThread === null) return t.skip('native zero-copy calls not available');
  const send = calls.sendPartsOffThread;
  const tmp = tempDir('send-off-thread-');
  const path = join(tmp.dir, 'segment');
  const fileBytes = Buffer.alloc(FILE_BYTES);
  for (let i = 0; i < FILE_BYTES; i++) fileBytes[i] = (i * 31 + (i >> 12)) & 0xff;
  writeFileSync(path, fileBytes);
  const fileFd = openSync(path, 'r');
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const accepted = once(server, 'connection');
  const reader = connect(port, '127.0.0.1');
  await once(reader, 'connect');
  const [writer] = (await accepted) as [Socket];
  let ownFd = -1;
  try {
    const received: Buffer[] = [];
    reader.on('data', (b: Buffer) => received.push(b));
    reader.pause();
    setSocketSendBuffer(fdOf(writer), 16_384);
    ownFd = calls.dupFd(fdOf(writer));
    assert.ok(ownFd >= 0);

    const header = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const trailer = Uint8Array.from([9, 10, 11]);
    const rangeLength = FILE_BYTES - RANGE_START;
    const parts = [header, [fileFd, RANGE_START, rangeLength] as const, trailer];
    const total = header.byteLength + rangeLength + trailer.byteLength;
    const sendFrom = (skip: number): Promise<number> =>
      new Promise((resolve, reject) => {
        const r = send(ownFd, parts, skip, BUDGET_MS, resolve);
        if (r < 0) reject(new Error(`sendPartsOffThread: ${r}`));
      });

    // A reader that reads nothing: the pool thread gives up after its wait, short of the end.
    const first = sendFrom(0);
    header.fill(0xee); // already copied: the peer must still see 1..8
    const n = await first;
    assert.ok(n > 0 && n < total, `${n} of ${total} bytes with the reader stopped`);

    reader.resume();
    let sent = n;
    // Each call writes more or reports 0 (no room within its wait); bounded by the bytes.
    for (let calls = 0; sent < total && calls < 10_000; calls++) {
      const m = await sendFrom(sent);
      assert.ok(m >= 0, `send failed: ${m}`);
      sent += m;
    }
    assert.equal(sent, total);
    for (let i = 0; i < 1000 && received.reduce((a, b) => a + b.byteLength, 0) < total; i++) await new Promise((r) => setTimeout(r, 10));
    const got = Buffer.concat(received);
    assert.equal(got.byteLength, total);
    assert.deepEqual([...got.subarray(0, 8)], [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.ok(got.subarray(8, 8 + rangeLength).equals(fileBytes.subarray(RANGE_START)), 'file range byte-exact');
    assert.deepEqual([...got.subarray(8 + rangeLength)], [9, 10, 11]);

    // A failed socket is reported as -errno, not thrown.
    reader.destroy();
    writer.destroy();
    let r = 0;
    for (let i = 0; i < 100 && r >= 0; i++) r = await sendFrom(0);
    assert.ok(r < 0, 'a send on a reset connection fails');
  } finally {
    if (ownFd >= 0) closeSync(ownFd);
    closeSync(fileFd);
    reader.destroy();
    writer.destroy();
    server.close();
    tmp.cleanup();
  }
});
