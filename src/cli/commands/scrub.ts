// `samsa scrub [--http URL] [--json]`: asks a running Samsa broker to re-verify every
// batch of its sealed segments (POST /broker/scrub, docs/storage.md "Scrub") and
// prints what it found. Exit 0: no damage; 1: damaged batches (each on its own line),
// so a cron job or a health check can act on it. Owns: its arguments and output.
// Must not read the data directory itself (the broker's maintenance pool does the work).

import type { Command } from 'commander';
import { UsageError, finish, jsonLine, writeOut } from '../common.js';

interface ScrubReply {
  partitions: number;
  segments: number;
  batches: number;
  bytes: number;
  damagedCount: number;
  damaged: Array<{ topic: string; partition: number; file: string; position: number; baseOffset: number; lastOffset: number; problem: string }>;
  complete: boolean;
  durationMs: number;
}

/** Bound on the reply body: the broker lists at most 1,000 damaged batches. */
const REPLY_BYTES_MAX = 4 * 1024 * 1024;

export function registerScrub(program: Command): void {
  program
    .command('scrub')
    .description("re-verify the CRC-32C of every batch in a Samsa broker's sealed segments (over its HTTP port); exit 1 if any is damaged")
    .option('--http <url>', "the broker's HTTP listener", process.env.SAMSA_HTTP ?? 'http://localhost:8080')
    .option('--json', 'the broker\'s report as one JSON object')
    .action(async (o: { http: string; json?: boolean }) => {
      let url: URL;
      try {
        url = new URL('/broker/scrub', o.http);
      } catch {
        throw new UsageError(`--http must be a URL like http://localhost:8080, got '${o.http}'`);
      }
      const res = await fetch(url, { method: 'POST' });
      const text = await res.text();
      if (text.length > REPLY_BYTES_MAX) throw new Error(`scrub: reply of ${text.length} bytes is over ${REPLY_BYTES_MAX}`);
      if (!res.ok) throw new Error(`scrub: ${url.href} answered ${res.status}: ${text.slice(0, 300)}`);
      const r = JSON.parse(text) as ScrubReply;
      if (o.json === true) {
        await writeOut(jsonLine(r));
      } else {
        const lines = r.damaged.map((d) => `DAMAGED\t${d.topic}\t${d.partition}\toffsets ${d.baseOffset}..${d.lastOffset}\t${d.file}@${d.position}\t${d.problem}\n`);
        lines.push(`checked ${r.batches} batches (${r.bytes} bytes) in ${r.segments} sealed segments of ${r.partitions} partitions in ${Math.round(r.durationMs)} ms: ${r.damagedCount} damaged${r.complete ? '' : ' (incomplete: the broker is closing)'}\n`);
        await writeOut(lines.join(''));
      }
      await finish(r.damagedCount > 0 || !r.complete ? 1 : 0);
    });
}
