// Progress of a long CLI phase on stderr: a cli-progress bar when stderr is a
// terminal, plain lines (at most one per second, and one at the end) otherwise, so
// logs and pipes stay readable. Owns: nothing but the rendering. Must not write to
// stdout (it carries results, e.g. `bench --json`).

import { performance } from 'node:perf_hooks';
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number): void;
  stop(): void;
}

const PLAIN_INTERVAL_MS = 1000;

function perSec(done: number, startMs: number): number {
  const s = (performance.now() - startMs) / 1000;
  return s > 0 ? Math.round(done / s) : 0;
}

/** Starts showing progress of `label` towards `total` units (records). */
export function startProgress(label: string, total: number, unit = 'records'): Progress {
  const startMs = performance.now();
  if (process.stderr.isTTY === true) {
    const bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: `${label.padEnd(8)} [{bar}] {percentage}% | {value}/{total} ${unit} | {rate}/s`,
        hideCursor: true,
        clearOnComplete: false,
        fps: 10,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { rate: 0 });
    return {
      update: (done) => bar.update(Math.min(done, total), { rate: perSec(done, startMs) }),
      stop: () => bar.stop(),
    };
  }
  let lastMs = startMs;
  let last = 0;
  const line = (done: number): void => {
    const pct = total > 0 ? Math.floor((Math.min(done, total) / total) * 100) : 100;
    process.stderr.write(`${label}: ${done}/${total} ${unit} (${pct}%) ${perSec(done, startMs)}/s\n`);
  };
  return {
    update: (done) => {
      last = done;
      const now = performance.now();
      if (now - lastMs < PLAIN_INTERVAL_MS) return;
      lastMs = now;
      line(done);
    },
    stop: () => line(last),
  };
}
