// The transport contract itself, on both implementations, with a tiny handler and
// no engine: body bounds while streaming, aborts, upgrade refusal, message copies,
// buffered amount and drain; plus transport selection and path matching.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import {
  BodyTooLargeError,
  matchPattern,
  type HttpExchange,
  type RunningTransport,
  type WsConnection,
  type WsRoute,
} from '../../src/http/transport.js';
import { requestedTransport, selectTransport } from '../../src/http/select-transport.js';
import { TRANSPORTS, WsClient, refusedUpgrade, until } from './harness.js';

test('matchPattern: literal segments, decoded parameters, no partial matches', () => {
  assert.deepEqual(matchPattern('/kafka', '/kafka'), {});
  assert.equal(matchPattern('/kafka', '/kafka/x'), null);
  assert.deepEqual(matchPattern('/topics/:topic/produce', '/topics/a.b/produce'), { topic: 'a.b' });
  assert.deepEqual(matchPattern('/topics/:topic', '/topics/a%2Fb'), { topic: 'a/b' });
  assert.deepEqual(matchPattern('/topics/:topic', '/topics/%E0%A4%A'), { topic: '%E0%A4%A' }); // malformed escape left as is
  assert.equal(matchPattern('/topics/:topic', '/topics/'), null);
  assert.equal(matchPattern('/topics/:topic/produce', '/topics/a/consume'), null);
});

test('SAMSA_HTTP_TRANSPORT picks the transport; other values are refused', async () => {
  assert.equal(requestedTransport({}), 'auto');
  assert.equal(requestedTransport({ SAMSA_HTTP_TRANSPORT: 'NODE' }), 'node');
  assert.equal(requestedTransport({ SAMSA_HTTP_TRANSPORT: 'uws' }), 'uws');
  assert.throws(() => requestedTransport({ SAMSA_HTTP_TRANSPORT: 'nginx' }), /SAMSA_HTTP_TRANSPORT/);
  assert.equal((await selectTransport('node')).transport.name, 'node');
  const uws = await selectTransport('uws');
  assert.equal(uws.transport.name, 'uws');
  assert.match(uws.reason, /uWebSockets\.js/);
  // Here the binary loads, so auto picks uWS.
  assert.equal((await selectTransport('auto')).transport.name, 'uws');
});

const LIMIT = 1000;

interface Probe {
  running: RunningTransport;
  base: string;
  aborted: number;
  /** /hang requests that reached the handler. */
  hung: number;
  conns: WsConnection[];
  drains: number;
  received: Array<{ data: Uint8Array; isText: boolean }>;
}

async function startProbe(name: 'uws' | 'node'): Promise<Probe> {
  const { transport } = await selectTransport(name);
  const probe = { aborted: 0, hung: 0, conns: [], drains: 0, received: [] } as unknown as Probe;
  const handler = (ex: HttpExchange): void => {
    if (ex.path === '/echo') {
      ex.readBody(LIMIT).then(
        (body) => ex.respond(200, 'application/octet-stream', body),
        (err: unknown) => {
          if (err instanceof BodyTooLargeError) ex.respond(413, 'text/plain', 'too large', { close: true });
        },
      );
      return;
    }
    if (ex.path === '/hang') {
      probe.hung++;
      ex.signal.addEventListener('abort', () => {
        probe.aborted++;
        ex.respond(200, 'text/plain', 'late'); // after the client left: must be a no-op
      });
      return;
    }
    if (ex.path === '/late-body') {
      // readBody after the handler returned is a programming error on uWS; both refuse or serve it.
      setImmediate(() => {
        try {
          void ex.readBody(LIMIT).then((b) => ex.respond(200, 'text/plain', String(b.byteLength)), () => ex.respond(500, 'text/plain', 'x'));
        } catch {
          ex.respond(500, 'text/plain', 'refused');
        }
      });
      return;
    }
    ex.respond(200, 'text/plain', `${ex.method} ${ex.path} ${ex.query} ${ex.header('x-probe')}`);
  };
  const echo: WsRoute = {
    pattern: '/ws/:name',
    maxPayloadBytes: LIMIT,
    maxBackpressureBytes: 64 * 1024 * 1024,
    upgrade: (_head, params) => {
      if (params.name === 'refuse') return { accept: false, status: 403, contentType: 'application/json', body: '{"error_code":403,"message":"no"}' };
      return {
        accept: true,
        open: (conn) => {
          probe.conns.push(conn);
          return {
            onMessage: (data, isText) => {
              if (isText && Buffer.from(data).toString() === 'close-long') {
                conn.close(1008, `≤ ${'é'.repeat(200)}`); // far over 123 bytes of UTF-8
                return;
              }
              probe.received.push({ data, isText });
              conn.send(isText ? `echo:${Buffer.from(data).toString()}` : data);
            },
            onDrain: () => {
              probe.drains++;
            },
            onClose: () => {},
          };
        },
      };
    },
  };
  probe.running = await transport.listen({ host: '127.0.0.1', port: 0, http: handler, ws: [echo] });
  probe.base = `127.0.0.1:${probe.running.port}`;
  return probe;
}

for (const name of TRANSPORTS) {
  describe(`transport ${name}`, () => {
    test('requests: method, path, query, headers; bodies within and over the bound', async () => {
      const p = await startProbe(name);
      try {
        const r = await fetch(`http://${p.base}/a/b?x=1&y=2`, { headers: { 'x-probe': 'hi' } });
        assert.equal(await r.text(), 'GET /a/b x=1&y=2 hi');
        const ok = await fetch(`http://${p.base}/echo`, { method: 'POST', body: 'y'.repeat(LIMIT) });
        assert.equal(ok.status, 200);
        assert.equal((await ok.arrayBuffer()).byteLength, LIMIT);
        const empty = await fetch(`http://${p.base}/echo`, { method: 'POST' });
        assert.equal((await empty.arrayBuffer()).byteLength, 0);
        const big = await fetch(`http://${p.base}/echo`, { method: 'POST', body: 'y'.repeat(LIMIT + 1) });
        assert.equal(big.status, 413);
        await big.text();
      } finally {
        await p.running.close();
      }
    });

    test('a chunked body is bounded while it streams', async () => {
      const p = await startProbe(name);
      try {
        const status = await new Promise<number>((resolve, reject) => {
          const req = httpRequest(`http://${p.base}/echo`, { method: 'POST', headers: { 'transfer-encoding': 'chunked' } }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          });
          req.on('error', reject);
          let sent = 0;
          const pump = (): void => {
            if (sent > 100 * LIMIT || req.destroyed) return;
            sent += 500;
            req.write('z'.repeat(500), () => setImmediate(pump));
          };
          pump();
        });
        assert.equal(status, 413);
      } finally {
        await p.running.close();
      }
    });

    test('readBody after the handler returned is refused (uWS) or served (node), never a hang or crash', async () => {
      const p = await startProbe(name);
      try {
        const r = await fetch(`http://${p.base}/late-body`, { method: 'POST', body: 'abc' });
        const text = await r.text();
        if (name === 'uws') assert.equal(text, 'refused');
        else assert.equal(text, '3');
      } finally {
        await p.running.close();
      }
    });

    test('a client that goes away aborts the exchange; responding afterwards is harmless', async () => {
      const p = await startProbe(name);
      try {
        const req = httpRequest(`http://${p.base}/hang`);
        req.on('error', () => {});
        req.end();
        await until(() => p.hung === 1, 10_000, 'the request to arrive');
        req.destroy();
        await until(() => p.aborted === 1, 10_000, 'the abort');
        const r = await fetch(`http://${p.base}/still`);
        assert.equal(r.status, 200);
        await r.text();
      } finally {
        await p.running.close();
      }
    });

    test('closing the listener aborts pending exchanges', async () => {
      const p = await startProbe(name);
      const pending = fetch(`http://${p.base}/hang`).then(
        (r) => r.status,
        () => -1,
      );
      await until(() => p.hung === 1, 10_000, 'the request to arrive');
      await p.running.close();
      assert.equal(p.aborted, 1);
      const status = await pending;
      assert.ok(status === 200 || status === -1);
    });

    test('WebSocket: refused upgrades carry status and body; text and binary messages arrive as owned bytes', async () => {
      const p = await startProbe(name);
      try {
        const refused = await refusedUpgrade(`ws://${p.base}/ws/refuse`);
        assert.equal(refused.status, 403);
        assert.equal(refused.body.error_code, 403);
        const c = await WsClient.open(`ws://${p.base}/ws/ok`);
        c.send('hello');
        const m1 = await c.next();
        assert.equal(m1!.data.toString(), 'echo:hello');
        assert.equal(m1!.isBinary, false);
        c.send(Uint8Array.from([1, 2, 3]));
        const m2 = await c.next();
        assert.deepEqual([...m2!.data], [1, 2, 3]);
        assert.equal(m2!.isBinary, true);
        assert.equal(p.running.webSocketCount(), 1);
        assert.equal(p.conns[0]!.remoteAddress.includes('127.0.0.1'), true);
        // The session may keep the bytes: later messages must not overwrite them.
        c.send(Uint8Array.from([9, 9, 9]));
        await c.next();
        assert.deepEqual([...p.received[1]!.data], [1, 2, 3]);
        c.close();
        await c.closed;
        await until(() => p.running.webSocketCount() === 0, 10_000, 'the socket to be forgotten');
      } finally {
        await p.running.close();
      }
    });

    test('WebSocket: a message over maxPayloadBytes closes the socket', async () => {
      const p = await startProbe(name);
      try {
        const c = await WsClient.open(`ws://${p.base}/ws/ok`);
        c.send(new Uint8Array(LIMIT + 1));
        const { code } = await c.closed;
        assert.ok(code === 1009 || code === 1006, `code ${code}`);
      } finally {
        await p.running.close();
      }
    });

    test('WebSocket: bufferedAmount grows for a reader that stops, and drain fires once it reads again', async () => {
      const p = await startProbe(name);
      try {
        const c = await WsClient.open(`ws://${p.base}/ws/ok`);
        c.send('x');
        await c.next();
        const conn = p.conns[0]!;
        c.ws.pause();
        const chunk = new Uint8Array(256 * 1024);
        // Bounded: 64 × 256 KiB = 16 MiB, more than loopback buffers take.
        for (let i = 0; i < 64 && conn.bufferedAmount() === 0; i++) conn.send(chunk);
        for (let i = 0; i < 8; i++) conn.send(chunk);
        assert.ok(conn.bufferedAmount() > 0, 'the transport queues what the kernel does not take');
        const drainsBefore = p.drains;
        c.ws.resume();
        await until(() => p.drains > drainsBefore && conn.bufferedAmount() === 0, 20_000, 'a drain');
        c.close();
      } finally {
        await p.running.close();
      }
    });

    test('a long non-ASCII close reason is cut to 123 bytes, not an error', async () => {
      const p = await startProbe(name);
      try {
        const c = await WsClient.open(`ws://${p.base}/ws/ok`);
        c.send('close-long');
        const { code, reason } = await c.closed;
        assert.equal(code, 1008);
        assert.ok(Buffer.byteLength(reason) <= 123 && reason.startsWith('≤ é'), reason);
        const again = await WsClient.open(`ws://${p.base}/ws/ok`);
        again.close();
      } finally {
        await p.running.close();
      }
    });

    test('close() ends open WebSockets with 1001', async () => {
      const p = await startProbe(name);
      const c = await WsClient.open(`ws://${p.base}/ws/ok`);
      await p.running.close();
      const { code } = await c.closed;
      assert.equal(code, 1001);
    });
  });
}
