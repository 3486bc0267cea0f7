// The brokers the interop suite runs against: a Samsa broker process (`samsa serve`
// on free ports, fresh data dir) and Apache Kafka through scripts/kafka-peer.sh.
// Owns: starting and stopping them and reading their bootstrap address. Must not
// run cases (run.ts does).

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './run.js';

export interface RunningBroker {
  kind: 'samsa' | 'kafka';
  bootstrap: string;
  /** Samsa's /metrics URL (absent for Apache Kafka). */
  metricsUrl?: string;
  /** What it is, for reports (e.g. "samsa 0.1.0", "Apache Kafka 4.1.0"). */
  label: string;
  stop(): Promise<void>;
}

const READY_WITHIN_MS = 60_000;

/**
 * KIP-848 groups on both brokers: heartbeats every 500 ms and a 6 s session (Kafka's
 * defaults are 5 s and 45 s, and so are its minimums, lowered here), so a killed
 * member's partitions move within the group cases' time.
 */
const CONSUMER_GROUP_SETTINGS = ['group.consumer.heartbeat.interval.ms=500', 'group.consumer.session.timeout.ms=6000'];
const KAFKA_CONSUMER_GROUP_SETTINGS = [...CONSUMER_GROUP_SETTINGS, 'group.consumer.min.heartbeat.interval.ms=500', 'group.consumer.min.session.timeout.ms=6000'];

/**
 * Starts `samsa serve` as a child process and resolves once its ready line names the
 * Kafka port. Like the Kafka peer, groups rebalance at once
 * (group.initial.rebalance.delay.ms=0 instead of the 3 s default), so the group cases
 * do not wait for a delay meant to gather members of a real application.
 */
export async function startSamsa(extraArgs: string[] = []): Promise<RunningBroker> {
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-interop-'));
  const cli = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
  const args = [cli, 'serve', '--data-dir', dataDir, '--port', '0', '--http-port', '0', '--log-level', 'warn', '--set', 'group.initial.rebalance.delay.ms=0', ...CONSUMER_GROUP_SETTINGS.flatMap((kv) => ['--set', kv]), ...extraArgs];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    err = (err + d).slice(-8192);
  });
  let metricsUrl = '';
  const bootstrap = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`samsa serve printed no ready line within ${READY_WITHIN_MS} ms: ${err}`)), READY_WITHIN_MS);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /kafka=([\d.]+:\d+)/.exec(out);
      if (m !== null) {
        const http = /http=([^\s:]+):(\d+)/.exec(out);
        if (http !== null) metricsUrl = `http://${http[1] === '0.0.0.0' ? '127.0.0.1' : http[1]}:${http[2]}/metrics`;
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`samsa serve exited with ${code} before it was ready: ${err}`));
    });
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    kind: 'samsa',
    bootstrap,
    ...(metricsUrl !== '' ? { metricsUrl } : {}),
    label: 'Samsa (this checkout)',
    async stop() {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** scripts/kafka-peer.sh of this checkout, or SAMSA_KAFKA_PEER. */
export const KAFKA_PEER = process.env.SAMSA_KAFKA_PEER ?? join(REPO_ROOT, 'scripts', 'kafka-peer.sh');

/**
 * Starts Apache Kafka (one KRaft broker) with scripts/kafka-peer.sh under `dir`.
 * Group rebalances start at once (group.initial.rebalance.delay.ms=0), as on Samsa.
 */
export async function startKafka(dir: string, script = KAFKA_PEER): Promise<RunningBroker> {
  if (!existsSync(script)) throw new Error(`${script} does not exist: Apache Kafka cannot be started (it comes with the peer-java branch)`);
  const args = ['start', '--dir', dir, '--brokers', '1', '--config-override', 'group.initial.rebalance.delay.ms=0', ...KAFKA_CONSUMER_GROUP_SETTINGS.flatMap((kv) => ['--config-override', kv])];
  const child = spawn(script, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: REPO_ROOT });
  let out = '';
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    err = (err + d).slice(-8192);
    process.stderr.write(d);
  });
  const bootstrap = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kafka-peer.sh start printed no bootstrap= line within ${READY_WITHIN_MS * 3} ms: ${err}`)), READY_WITHIN_MS * 3);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /bootstrap=([^\s,]+)/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      if (/bootstrap=/.test(out)) return;
      clearTimeout(timer);
      reject(new Error(`kafka-peer.sh start exited with ${code}: ${err}`));
    });
  });
  const version = /Kafka (\d+\.\d+\.\d+)/i.exec(out + err)?.[1];
  return {
    kind: 'kafka',
    bootstrap,
    label: `Apache Kafka${version !== undefined ? ` ${version}` : ' 4.x'}`,
    async stop() {
      await new Promise<void>((resolve) => {
        const s = spawn(script, ['stop', '--dir', dir], { stdio: 'inherit', cwd: REPO_ROOT });
        s.once('exit', () => resolve());
        s.once('error', () => resolve());
      });
      if (child.exitCode === null) child.kill('SIGTERM');
    },
  };
}
