// Making small files and directory entries durable. Owns: directory fsync and the
// one way storage replaces a small file (topic metadata, checkpoints, snapshots,
// markers): write a temporary file, fdatasync it, rename it over the old one, fsync
// the directory. A crash leaves either the old file or the new one, never a torn
// mix (a leftover `.tmp` is ignored by every reader). Must not know what the files hold.

import fs from 'node:fs';

/** fsync of a directory, so created, renamed and deleted entries are durable. */
export function syncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Replaces `file` with `data` atomically and durably (tmp, fdatasync, rename, directory fsync). */
export function writeFileDurably(file: string, dir: string, data: string | Uint8Array): void {
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let done = 0;
    // A write may be partial; each pass writes at least one byte or throws, so this is bounded.
    for (let pass = 0; done < bytes.byteLength && pass <= bytes.byteLength; pass++) done += fs.writeSync(fd, bytes, done, bytes.byteLength - done);
    fs.fdatasyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  syncDir(dir);
}
