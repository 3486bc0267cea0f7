// The HTTP / WebSocket port with TLS and authentication, on both transports (uWS
// and node:https + ws): HTTPS and WSS with the listeners' PEM files; Basic
// credentials from the SCRAM user store and Bearer tokens from `samsa users token`;
// 401 without (or with wrong) credentials, /healthz still open; the same ACLs as the
// Kafka listeners on REST routes, the JSON streams and Kafka over WebSocket; a
// plaintext client on the HTTPS port is refused and the listener goes on. The
// failed-login budget is checked with a fixed clock.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startEngine, type SamsaEngine } from '../../src/broker/engine.js';
import { createKafkaHandler } from '../../src/kafka/handler.js';
import { groupServicesFor } from '../../src/groups/index.js';
import { startHttpServer, type HttpServer } from '../../src/http/server.js';
import type { TransportName } from '../../src/http/transport.js';
import { UserStore } from '../../src/security/user-store.js';
import { newCredential } from '../../src/security/scram.js';
import { AclOperation as Op, AclPatternType as Pattern, AclPermissionType as Perm, AclResourceType as Res, Authorizer } from '../../src/security/acl.js';
import { HttpAuthenticator } from '../../src/security/http-auth.js';
import { ProduceRequestCodec, ProduceResponseCodec } from '../../src/wire/schemas/00-produce.js';
import { MetadataRequestCodec, MetadataResponseCodec } from '../../src/wire/schemas/03-metadata.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { decodeResponse, encodeRequest } from '../kafka/harness.js';
import { OPENSSL_MISSING, type TestCerts, makeTestCerts } from '../helpers/certs.js';
import { runCli } from '../cli/cli-helpers.js';

const skip = OPENSSL_MISSING ? 'openssl is not installed' : false;
const basic = (user: string, pw: string): string => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

let certs: TestCerts;
let dir: string;
let users: UserStore;

before(async () => {
  if (OPENSSL_MISSING) return;
  certs = makeTestCerts();
  dir = mkdtempSync(join(tmpdir(), 'samsa-http-sec-'));
  users = UserStore.inMemory();
  for (const u of ['alice', 'bob']) users.apply([{ user: u, mechanism: 'SCRAM-SHA-256', credential: await newCredential('SCRAM-SHA-256', `${u}-pw`) }]);
});

after(() => {
  if (OPENSSL_MISSING) return;
  rmSync(dir, { recursive: true, force: true });
  certs.remove();
});

for (const transport of ['uws', 'node'] as TransportName[]) {
  describe(`HTTPS on ${transport}`, { skip }, () => {
    let engine: SamsaEngine;
    let http: HttpServer;
    let tokensFile: string;
    let ca: Buffer;
    let authorizer: Authorizer;

    before(async () => {
      ca = readFileSync(certs.caCert);
      tokensFile = join(dir, `${transport}-tokens`);
      writeFileSync(tokensFile, '# bearer tokens\n');
      engine = await startEngine({ dataDir: join(dir, `${transport}-data`), shards: 1, pin: false });
      await engine.createTopic('web', 1);
      await engine.createTopic('hidden', 1);
      authorizer = Authorizer.inMemory({ superUsers: [], allowIfNoAcl: false });
      const base = { resourceType: Res.TOPIC, patternType: Pattern.LITERAL, host: '*', permissionType: Perm.ALLOW };
      authorizer.add([
        { ...base, resourceName: 'web', principal: 'User:alice', operation: Op.WRITE },
        { ...base, resourceName: 'web', principal: 'User:alice', operation: Op.READ },
        { ...base, resourceName: 'web', principal: 'User:ci', operation: Op.DESCRIBE },
        { ...base, resourceType: Res.GROUP, resourceName: 'web-readers', principal: 'User:alice', operation: Op.READ },
      ]);
      // Two groups with committed offsets: alice may see one, and in it only the topic she may describe.
      const groups = groupServicesFor(engine);
      await groups.offsets.ready();
      const at = (topic: string, offset: number) => ({ topic, partition: 0, offset, leaderEpoch: -1, metadata: null, commitTimestamp: -1 });
      await groups.offsets.commit('web-readers', [at('web', 0), at('hidden', 0)]);
      await groups.offsets.commit('secret-readers', [at('hidden', 0)]);
      const kafka = createKafkaHandler(engine, { security: { users, sasl: { enabledMechanisms: ['SCRAM-SHA-256'], reauthMs: 0 }, authorizer } });
      http = await startHttpServer({
        engine,
        kafka,
        host: '127.0.0.1',
        port: 0,
        transport,
        tls: { certFile: certs.serverCert, keyFile: certs.serverKeyEncrypted, passphrase: certs.encryptedKeyPassword },
        auth: new HttpAuthenticator({ methods: ['basic', 'bearer'], tokensLocation: tokensFile, users }),
        authorizer,
      });
    });

    after(async () => {
      await http.close();
      await engine.close();
    });

    function get(path: string, auth: string | null, method = 'GET', body?: string): Promise<Reply> {
      return new Promise((resolve, reject) => {
        const req = httpsRequest(
          { host: '127.0.0.1', port: http.port, path, method, ca, servername: 'localhost', headers: { ...(auth !== null ? { authorization: auth } : {}), ...(body !== undefined ? { 'content-type': 'application/vnd.kafka.json.v2+json' } : {}) } },
          (res) => {
            let text = '';
            res.setEncoding('utf8').on('data', (d: string) => (text += d));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    }

    test('HTTPS: /healthz is open; everything else needs credentials (401 with a challenge); wrong ones are refused without echo', async () => {
      assert.equal((await get('/healthz', null)).status, 200);
      const none = await get('/topics', null);
      assert.equal(none.status, 401);
      assert.match(String(none.headers['www-authenticate']), /Basic realm="samsa".*Bearer realm="samsa"/);
      assert.equal(JSON.parse(none.body).error_code, 40101);
      const wrong = await get('/topics', basic('alice', 'Wrong-Pw-5f'));
      assert.equal(wrong.status, 401);
      assert.ok(!wrong.body.includes('Wrong-Pw-5f'));
      const unknown = await get('/topics', basic('nobody', 'x'));
      assert.equal(unknown.body, wrong.body, 'an unknown user reads like a wrong password');
      assert.equal((await get('/topics', 'Digest abc')).status, 401);
    });

    test('REST with ACLs: alice lists only what she may describe, produces and reads "web"; bob is refused (403, 40301)', async () => {
      const list = await get('/topics', basic('alice', 'alice-pw'));
      assert.equal(list.status, 200);
      assert.deepEqual(JSON.parse(list.body), ['web']);
      const produced = await get('/topics/web', basic('alice', 'alice-pw'), 'POST', JSON.stringify({ records: [{ value: { n: 1 } }] }));
      assert.equal(produced.status, 200, produced.body);
      const read = await get('/topics/web/partitions/0/records?offset=0&timeout=0', basic('alice', 'alice-pw'));
      assert.equal(read.status, 200);
      assert.equal(JSON.parse(read.body).length, 1);
      const bob = await get('/topics/web', basic('bob', 'bob-pw'), 'POST', JSON.stringify({ records: [{ value: 'x' }] }));
      assert.equal(bob.status, 403);
      assert.equal(JSON.parse(bob.body).error_code, 40301);
      assert.equal((await get('/topics/hidden', basic('alice', 'alice-pw'))).status, 403, 'existence does not leak');
      assert.equal((await get('/metrics', basic('alice', 'alice-pw'))).status, 403);
      assert.equal(engine.offsets('web', 0).highWatermark, 1);
    });

    function call(path: string, auth: string, method: string, body: string | undefined, accept: string): Promise<Reply> {
      return new Promise((resolve, reject) => {
        const headers: Record<string, string> = { authorization: auth, accept, ...(body !== undefined ? { 'content-type': 'application/vnd.kafka.v2+json' } : {}) };
        const req = httpsRequest({ host: '127.0.0.1', port: http.port, path, method, ca, servername: 'localhost', headers }, (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (d: string) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        });
        req.on('error', reject);
        req.end(body);
      });
    }

    test('REST consumers need the Kafka consumer ACLs (READ on group and topic); an instance is its creator\'s only', async () => {
      const alice = basic('alice', 'alice-pw');
      const bob = basic('bob', 'bob-pw');
      const JSON_V2 = 'application/vnd.kafka.json.v2+json';
      const produced = await get('/topics/web', alice, 'POST', JSON.stringify({ records: [{ value: { consumer: true } }] }));
      assert.equal(produced.status, 200, produced.body);

      // bob may not READ the group: no instance for him (403 before anything else).
      const bobCreate = await call('/consumers/web-readers', bob, 'POST', JSON.stringify({ format: 'json' }), 'application/vnd.kafka.v2+json');
      assert.equal(bobCreate.status, 403, bobCreate.body);
      assert.equal(JSON.parse(bobCreate.body).error_code, 40301);

      const created = await call('/consumers/web-readers', alice, 'POST', JSON.stringify({ format: 'json', 'auto.offset.reset': 'earliest' }), 'application/vnd.kafka.v2+json');
      assert.equal(created.status, 200, created.body);
      const instance = `/consumers/web-readers/instances/${encodeURIComponent(JSON.parse(created.body).instance_id as string)}`;

      // A topic alice may not READ cannot be subscribed to, nor assigned.
      const hidden = await call(`${instance}/subscription`, alice, 'POST', JSON.stringify({ topics: ['hidden'] }), 'application/vnd.kafka.v2+json');
      assert.equal(hidden.status, 403, hidden.body);
      assert.equal(JSON.parse(hidden.body).error_code, 40301);
      const assigned = await call(`${instance}/assignments`, alice, 'POST', JSON.stringify({ partitions: [{ topic: 'hidden', partition: 0 }] }), 'application/vnd.kafka.v2+json');
      assert.equal(assigned.status, 403, assigned.body);

      const subscribed = await call(`${instance}/subscription`, alice, 'POST', JSON.stringify({ topics: ['web'] }), 'application/vnd.kafka.v2+json');
      assert.equal(subscribed.status, 204, subscribed.body);

      // bob, who may not READ the group, cannot use alice's instance.
      const bobRecords = await call(`${instance}/records?timeout=0`, bob, 'GET', undefined, JSON_V2);
      assert.equal(bobRecords.status, 403, bobRecords.body);
      assert.equal(JSON.parse(bobRecords.body).error_code, 40301);

      // alice reads what she produced (the first reads may be spent joining the group).
      let records: Array<{ topic: string; value: unknown }> = [];
      for (let i = 0; i < 30 && records.length === 0; i++) {
        const r = await call(`${instance}/records?timeout=1000`, alice, 'GET', undefined, JSON_V2);
        assert.equal(r.status, 200, r.body);
        records = JSON.parse(r.body) as typeof records;
      }
      assert.ok(records.length > 0, 'alice reads "web" through her consumer');
      assert.ok(records.every((r) => r.topic === 'web'));
      assert.equal((await call(`${instance}/offsets`, alice, 'POST', undefined, 'application/vnd.kafka.v2+json')).status, 204);
      assert.equal((await call(instance, bob, 'DELETE', undefined, 'application/vnd.kafka.v2+json')).status, 403);
      assert.equal((await call(instance, alice, 'DELETE', undefined, 'application/vnd.kafka.v2+json')).status, 204);
    });

    test('REST consumer: READ is checked on every round of a long poll, not only when the request arrives', async () => {
      const alice = basic('alice', 'alice-pw');
      const JSON_V2 = 'application/vnd.kafka.json.v2+json';
      const V2 = 'application/vnd.kafka.v2+json';
      const created = await call('/consumers/web-readers', alice, 'POST', JSON.stringify({ format: 'json', 'auto.offset.reset': 'latest' }), V2);
      assert.equal(created.status, 200, created.body);
      const instance = `/consumers/web-readers/instances/${encodeURIComponent(JSON.parse(created.body).instance_id as string)}`;
      assert.equal((await call(`${instance}/subscription`, alice, 'POST', JSON.stringify({ topics: ['web'] }), V2)).status, 204);
      // Until the group's assignment arrives (the first reads join the group).
      for (let i = 0; i < 30; i++) {
        const a = await call(`${instance}/assignments`, alice, 'GET', undefined, V2);
        if ((JSON.parse(a.body).partitions as unknown[]).length > 0) break;
        assert.equal((await call(`${instance}/records?timeout=500`, alice, 'GET', undefined, JSON_V2)).status, 200);
      }
      // A long poll starts with READ on "web"; READ is taken away and a record arrives meanwhile.
      const polling = call(`${instance}/records?timeout=10000`, alice, 'GET', undefined, JSON_V2);
      await new Promise((r) => setTimeout(r, 500)); // ordering only: let the poll reach its wait
      const readWeb = { resourceType: Res.TOPIC, resourceName: 'web', patternType: Pattern.LITERAL, principal: 'User:alice', host: '*', operation: Op.READ, permissionType: Perm.ALLOW };
      authorizer.remove([readWeb]);
      try {
        // alice may still WRITE "web".
        assert.equal((await get('/topics/web', alice, 'POST', JSON.stringify({ records: [{ value: 'after-revoke' }] }))).status, 200);
        const r = await polling;
        assert.equal(r.status, 403, `the record written after READ was revoked must not be returned: ${r.body}`);
        assert.equal(JSON.parse(r.body).error_code, 40301);
      } finally {
        authorizer.add([readWeb]);
      }
      assert.equal((await call(instance, alice, 'DELETE', undefined, V2)).status, 204);
    });

    test('table views need READ on the topic, checked before its existence', async () => {
      const alice = basic('alice', 'alice-pw');
      const bob = basic('bob', 'bob-pw');
      const JSON_V2 = 'application/vnd.kafka.json.v2+json';
      for (const path of ['/topics/web/table', '/topics/web/table/k1', '/topics/no-such-topic/table']) {
        const r = await call(path, bob, 'GET', undefined, JSON_V2);
        assert.equal(r.status, 403, `${path}: ${r.body}`);
        assert.equal(JSON.parse(r.body).error_code, 40301);
      }
      assert.equal((await call('/topics/hidden/table', alice, 'GET', undefined, JSON_V2)).status, 403);
      assert.equal((await call('/topics/hidden/table/k1', alice, 'GET', undefined, JSON_V2)).status, 403);
      const produced = await get('/topics/web', alice, 'POST', JSON.stringify({ records: [{ key: 'k1', value: { v: 1 } }] }));
      assert.equal(produced.status, 200, produced.body);
      // alice may READ "web": her answers are the table's, not a refusal.
      const page = await call('/topics/web/table', alice, 'GET', undefined, JSON_V2);
      assert.equal(page.status, 200, page.body);
      assert.ok(Array.isArray(JSON.parse(page.body).records));
      const one = await call('/topics/web/table/k1', alice, 'GET', undefined, JSON_V2);
      assert.notEqual(one.status, 403, one.body);
    });

    test('WSS: the table changes stream needs credentials and READ on the topic', async () => {
      const open = async (path: string, auth: string | null): Promise<number> => {
        const r = await wss(path, auth);
        if (!(r instanceof WebSocket)) return r.status;
        r.close();
        return 101;
      };
      assert.equal(await open('/topics/web/table/changes', null), 401);
      assert.equal(await open('/topics/web/table/changes', basic('bob', 'bob-pw')), 403);
      assert.equal(await open('/topics/hidden/table/changes', basic('alice', 'alice-pw')), 403);
      assert.equal(await open('/topics/web/table/changes', basic('alice', 'alice-pw')), 101);
    });

    test('admin views with ACLs: lists hold only what alice may describe; the rest is 403 before existence', async () => {
      const asAlice = (path: string, method = 'GET', body?: string) => get(path, basic('alice', 'alice-pw'), method, body);
      const stats = await asAlice('/stats/topics');
      assert.equal(stats.status, 200);
      assert.deepEqual((JSON.parse(stats.body) as Array<{ name: string }>).map((t) => t.name), ['web']);
      assert.equal((await asAlice('/topics/web/stats')).status, 200);
      assert.equal((await asAlice('/topics/hidden/stats')).status, 403);
      const groups = JSON.parse((await asAlice('/groups')).body) as { groups: Array<{ group_id: string; topics: string[] }> };
      assert.deepEqual(groups.groups.map((g) => [g.group_id, g.topics]), [['web-readers', ['web']]]);
      const group = JSON.parse((await asAlice('/groups/web-readers')).body) as { offsets: Array<{ topic: string }> };
      assert.deepEqual(group.offsets.map((o) => o.topic), ['web'], 'offsets of topics alice may not describe are left out');
      for (const [path, method] of [['/groups/secret-readers', 'GET'], ['/groups/no-such-group', 'GET'], ['/groups/web-readers', 'DELETE'], ['/broker', 'GET'], ['/broker/scrub', 'GET'], ['/broker/scrub', 'POST'], ['/topics/web/configs', 'GET']] as const) {
        const r = await asAlice(path, method);
        assert.equal(r.status, 403, `${method} ${path}: ${r.body}`);
        assert.equal(JSON.parse(r.body).error_code, 40301);
      }
      assert.equal((await asAlice('/topics/web/configs', 'POST', JSON.stringify({ configs: [{ name: 'retention.ms', value: '1000' }] }))).status, 403);
      assert.equal((await asAlice('/topics/web/partitions', 'POST', JSON.stringify({ partitions: 2 }))).status, 403);
      assert.equal(engine.describeTopic('web')!.partitions, 1);
      assert.equal(engine.describeTopic('web')!.config['retention.ms'], engine.defaultTopicConfig()['retention.ms']);
    });

    test('Bearer tokens from `samsa users token`: only the hash is stored; a good token is its user, an unknown one is 401', async () => {
      const r = await runCli(['users', 'token', 'ci', '--tokens-file', tokensFile]);
      assert.equal(r.code, 0, r.stderr);
      const token = r.stdout.trim();
      assert.ok(!readFileSync(tokensFile, 'utf8').includes(token), 'the file holds a hash, not the token');
      // The file is re-read when it changes (checked at most once a second).
      let ok: Reply | null = null;
      for (let i = 0; i < 50 && ok?.status !== 200; i++) {
        ok = await get('/topics', `Bearer ${token}`);
        if (ok.status !== 200) await new Promise((res) => setTimeout(res, 100));
      }
      assert.equal(ok!.status, 200);
      assert.deepEqual(JSON.parse(ok!.body), ['web'], 'ci may describe web only');
      assert.equal((await get('/topics', `Bearer ${token}x`)).status, 401);
    });

    function wss(path: string, auth: string | null): Promise<WebSocket | { status: number }> {
      return new Promise((resolve) => {
        // ws passes TLS options through to tls.connect (its typings list only some of them).
        const options: WebSocket.ClientOptions & { servername: string } = { ca, servername: 'localhost', headers: auth !== null ? { authorization: auth } : {} };
        const ws = new WebSocket(`wss://127.0.0.1:${http.port}${path}`, options);
        ws.once('open', () => resolve(ws));
        ws.once('unexpected-response', (_req, res) => {
          resolve({ status: res.statusCode ?? 0 });
          res.resume();
        });
        ws.once('error', () => resolve({ status: -1 }));
      });
    }

    test('WSS: the JSON streams and Kafka over WebSocket need credentials and the same ACLs', async () => {
      const anon = await wss('/kafka', null);
      assert.ok(!(anon instanceof WebSocket) && anon.status === 401);
      const bobStream = await wss('/topics/web/produce', basic('bob', 'bob-pw'));
      assert.ok(!(bobStream instanceof WebSocket) && bobStream.status === 403);
      const ws = await wss('/kafka', basic('alice', 'alice-pw'));
      assert.ok(ws instanceof WebSocket);
      const reply = (frame: Uint8Array): Promise<Uint8Array> =>
        new Promise((resolve) => {
          ws.once('message', (data: Buffer) => resolve(new Uint8Array(data)));
          ws.send(frame);
        });
      const md = decodeResponse(MetadataResponseCodec, 12, await reply(encodeRequest(MetadataRequestCodec, 12, 1, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }))).body;
      assert.deepEqual(md.topics.map((t) => t.name), ['web'], 'Metadata over WebSocket hides what alice may not describe');
      const records = encodeRecordBatch([{ value: 'over wss' }]);
      const produce = (topic: string, id: number) => encodeRequest(ProduceRequestCodec, 9, id, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
      const okRes = decodeResponse(ProduceResponseCodec, 9, await reply(produce('web', 2))).body;
      assert.equal(okRes.responses[0]!.partitionResponses[0]!.errorCode, 0);
      const denied = decodeResponse(ProduceResponseCodec, 9, await reply(produce('hidden', 3))).body;
      assert.equal(denied.responses[0]!.partitionResponses[0]!.errorCode, 29);
      ws.close();
    });

    test('a plaintext HTTP client on the HTTPS port is refused; the listener goes on', async () => {
      const outcome = await new Promise<string>((resolve) => {
        const req = httpRequest({ host: '127.0.0.1', port: http.port, path: '/healthz' }, (res) => resolve(`status ${res.statusCode}`));
        req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
        req.end();
      });
      assert.ok(!outcome.startsWith('status 2'), outcome);
      assert.equal((await get('/healthz', null)).status, 200);
    });
  });
}

test('Basic: a verified credential is cached, a changed password ends it; failed checks past the budget get 429', async () => {
  const store = UserStore.inMemory();
  store.apply([{ user: 'carol', mechanism: 'SCRAM-SHA-256', credential: await newCredential('SCRAM-SHA-256', 'one') }]);
  const auth = new HttpAuthenticator({ methods: ['basic'], tokensLocation: '', users: store });
  const now = 1_000_000;
  assert.deepEqual(auth.authenticate(basic('carol', 'one'), '127.0.0.1', now), { ok: true, principal: 'User:carol' });
  store.apply([{ user: 'carol', mechanism: 'SCRAM-SHA-256', credential: await newCredential('SCRAM-SHA-256', 'two') }]);
  assert.equal(auth.authenticate(basic('carol', 'one'), '127.0.0.1', now).ok, false, 'the cached check ended with the password change');
  const results = Array.from({ length: 25 }, (_, i) => auth.authenticate(basic('carol', `bad-${i}`), '127.0.0.1', now));
  const statuses = results.map((r) => (r.ok ? 200 : r.status));
  assert.deepEqual(statuses.slice(0, 19), Array(19).fill(401));
  assert.deepEqual(statuses.slice(20), Array(5).fill(429));
  // The budget refills with the clock; a good password is still checked.
  assert.equal(auth.authenticate(basic('carol', 'two'), '127.0.0.1', now + 1000).ok, true);
});
