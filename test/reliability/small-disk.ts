// Real small filesystems for the I/O fault tests (root only): an ext4 image on a loop
// device, mounted, to fill up (disk full); and the same on a "thin-provisioned" image
// whose backing tmpfs can be filled, so the ext4 above has room but its write-back
// fails: fdatasync then returns an error, as on a failing or full SAN volume.
// Owns: the image, the loop device, the mounts and the filler files. Must not touch
// anything outside the temporary directory it makes.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SmallDisk {
  /** The mounted ext4 filesystem (put the data directory under it). */
  readonly mountPoint: string;
  /** Fills the filesystem that `where` names until `leaveBytes` are left (a filler file). */
  fill(where: 'ext4' | 'backing', leaveBytes: number): void;
  /** Removes the filler files. */
  unfill(): void;
  /** Unmounts, checks (e2fsck -fy) and mounts the ext4 again (it may have gone read-only after write-back errors). */
  remount(): void;
  cleanup(): void;
}

/** Runs a system tool; looks in /usr/sbin and /sbin too (a root PATH may lack them). */
function run(cmd: string, args: string[]): string {
  for (const path of [cmd, `/usr/sbin/${cmd}`, `/sbin/${cmd}`]) {
    try {
      return execFileSync(path, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  throw new Error(`${cmd} not found (PATH, /usr/sbin, /sbin)`);
}

/** Why small disks cannot be made here, or null if they can (root, loop devices, ext4). */
export function smallDiskUnavailable(): string | null {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root (mount and losetup need it)';
  let disk: SmallDisk | null = null;
  try {
    disk = makeSmallDisk({ sizeMiB: 8 });
    return null;
  } catch (err) {
    return `cannot mount a loop ext4 image: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
  } finally {
    disk?.cleanup();
  }
}

/**
 * An ext4 of `sizeMiB` on a loop device. With `backingMiB`, its image lives on a tmpfs
 * of that size (smaller than the image: a sparse, thin-provisioned volume).
 */
export function makeSmallDisk(opts: { sizeMiB: number; backingMiB?: number }): SmallDisk {
  const root = mkdtempSync(join(tmpdir(), 'samsa-disk-'));
  const backing = join(root, 'backing');
  const mountPoint = join(root, 'mnt');
  mkdirSync(backing);
  mkdirSync(mountPoint);
  let tmpfs = false;
  let loop = '';
  let mounted = false;
  const fillers: string[] = [];
  const cleanup = (): void => {
    for (const f of fillers) rmSync(f, { force: true });
    if (mounted) {
      try {
        run('umount', ['-l', mountPoint]);
      } catch {
        // best effort: the directory goes below either way
      }
    }
    if (loop !== '') {
      try {
        run('losetup', ['-d', loop]);
      } catch {
        // already detached
      }
    }
    if (tmpfs) {
      try {
        run('umount', ['-l', backing]);
      } catch {
        // best effort
      }
    }
    rmSync(root, { recursive: true, force: true });
  };
  try {
    if (opts.backingMiB !== undefined) {
      run('mount', ['-t', 'tmpfs', '-o', `size=${opts.backingMiB}m`, 'tmpfs', backing]);
      tmpfs = true;
    }
    const image = join(backing, 'ext4.img');
    closeSync(openSync(image, 'w'));
    run('truncate', ['-s', `${opts.sizeMiB}M`, image]);
    loop = run('losetup', ['-f', '--show', image]).trim();
    // -m 0: no blocks reserved for root (the broker runs as root here); nodiscard: keep the image sparse.
    run('mkfs.ext4', ['-q', '-F', '-m', '0', '-E', 'nodiscard', loop]);
    run('mount', [loop, mountPoint]);
    mounted = true;
  } catch (err) {
    cleanup();
    throw err;
  }
  return {
    mountPoint,
    fill(where, leaveBytes) {
      const dir = where === 'ext4' ? mountPoint : backing;
      const file = join(dir, `filler-${fillers.length}`);
      fillers.push(file);
      const fd = openSync(file, 'w');
      const chunk = Buffer.alloc(1 << 20, 0x5a);
      try {
        for (let i = 0; i < 1 << 16; i++) {
          const s = statfsSync(dir);
          const free = s.bavail * s.bsize;
          if (free <= leaveBytes) break;
          try {
            writeSync(fd, chunk, 0, Math.min(chunk.length, free - leaveBytes));
          } catch {
            break; // full
          }
        }
      } finally {
        closeSync(fd);
      }
      if (where === 'ext4') run('sync', ['-f', file]);
    },
    unfill() {
      for (const f of fillers.splice(0)) rmSync(f, { force: true });
    },
    remount() {
      run('umount', [mountPoint]);
      mounted = false;
      try {
        run('e2fsck', ['-fy', loop]);
      } catch {
        // exit 1: errors corrected; the mount below says whether it is usable
      }
      run('mount', [loop, mountPoint]);
      mounted = true;
    },
    cleanup,
  };
}
