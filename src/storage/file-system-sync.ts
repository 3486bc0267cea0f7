// One syncfs(2) in place of a file-by-file sync. Owns: a descriptor on the data
// directory's file system, held from before this process's first write there, and the
// rule for when a syncfs through it stands in for every file's own fdatasync and every
// directory's fsync. Must not decide what is written or when (the shard's shutdown
// does), nor load the addon or read the kernel's version (both are given).
//
// Why it is sound: Linux keeps one write-error sequence per file system (errseq), and
// a descriptor samples it when it is opened. A syncfs through that descriptor writes
// everything dirty on the file system, commits its journal, and returns the errors
// recorded since the sample (then advances it). So when it returns 0 on a kernel that
// reports both kinds of error (platform/native.ts, syncFsReportsErrors), every write
// made since the descriptor was opened is on disk and none of them failed; directory
// entries too, since the journal holds them. A descriptor opened just before the sync
// would miss an error from earlier writeback, which is why it is held from the start.

import fs from 'node:fs';

export class FileSystemSync {
  private fd: number;
  /** A syncfs reported an error: the sequence moved past it, so later calls prove nothing about it. */
  private failed = false;

  private constructor(
    fd: number,
    private readonly device: number,
    private readonly syncFs: (fd: number) => number,
    private readonly reportsErrors: boolean,
  ) {
    this.fd = fd;
  }

  /**
   * Holds `dir`'s file system, to be called before anything is written there. Null
   * when `dir` cannot be opened: the caller then syncs file by file, as without.
   */
  static hold(dir: string, syncFs: (fd: number) => number, reportsErrors: boolean): FileSystemSync | null {
    let fd = -1;
    try {
      fd = fs.openSync(dir, 'r');
      return new FileSystemSync(fd, fs.fstatSync(fd).dev, syncFs, reportsErrors);
    } catch {
      if (fd >= 0) fs.closeSync(fd);
      return null;
    }
  }

  /** Whether `dir` is on the held file system (a directory mounted elsewhere is not). */
  covers(dir: string): boolean {
    if (this.fd < 0) return false;
    try {
      return fs.statSync(dir).dev === this.device;
    } catch {
      return false;
    }
  }

  /**
   * syncfs(2) through the held descriptor. True only when every write on the file
   * system since the hold is durable and none failed: files under a covered directory
   * then need no sync of their own. False (a write error now or at any earlier call, a
   * kernel that does not report errors, a released hold): the writes were flushed at
   * best, and each file's own sync must report its errors.
   */
  syncAll(): boolean {
    if (this.fd < 0) return false;
    const r = this.syncFs(this.fd);
    if (r < 0) this.failed = true;
    return !this.failed && this.reportsErrors;
  }

  /** Closes the descriptor; syncAll is false from then on. */
  release(): void {
    if (this.fd < 0) return;
    try {
      fs.closeSync(this.fd);
    } catch {
      // A directory descriptor only synced through: nothing to lose.
    }
    this.fd = -1;
  }
}
