/**
 * A lock file that serialises kpatch processes working on one cache repository.
 *
 * Node has no flock(), so the lock is a file created with O_EXCL holding the
 * owner's pid, host and a random nonce. The owner touches it every few seconds.
 * A lock is stale, and may be broken, when its owner is a dead process on this
 * host, or when it has not been touched for `staleMs` (an owner on another host
 * that shares the cache, or a pid reused in a fresh container).
 *
 * Breaking is race-free between breakers: the stale file is renamed to a name
 * only this process uses and then compared with what was judged stale; if a
 * live lock was caught instead (another breaker won and re-locked in between),
 * it is linked back into place.
 */
import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, stat, unlink, utimes } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fail } from '../errors.js';
import { makeDirs } from './cacheLayout.js';

/** A held lock. */
export interface HeldLock {
  /** True when a stale lock of a dead owner was broken to get this one: its work may be half done. */
  brokeStale: boolean;
  /** Lets go of the lock. Safe to call twice. */
  release(): Promise<void>;
}

/** How to wait for and judge a lock. */
export interface LockOptions {
  /** Aborts the wait (Ctrl-C). */
  signal?: AbortSignal;
  /** Called once, when the lock is busy and the caller starts waiting. */
  onWait?: (owner: LockOwner) => void;
  /** Age after which an untouched lock is stale. */
  staleMs?: number;
  /** How often the owner touches its lock. */
  heartbeatMs?: number;
  /** Poll interval while waiting. */
  pollMs?: number;
}

/** What a lock file says about its owner. */
export interface LockOwner {
  pid: number;
  host: string;
  nonce: string;
  since: string;
}

/** Takes the lock at `lockPath`, waiting while another live process holds it. */
export async function acquireLock(lockPath: string, opts: LockOptions = {}): Promise<HeldLock> {
  const staleMs = opts.staleMs ?? 60_000;
  const heartbeatMs = opts.heartbeatMs ?? 5_000;
  const pollMs = opts.pollMs ?? 100;
  const me: LockOwner = { pid: process.pid, host: os.hostname(), nonce: randomBytes(8).toString('hex'), since: new Date().toISOString() };
  const content = JSON.stringify(me) + '\n';
  let brokeStale = false;
  let warned = false;

  for (;;) {
    if (opts.signal?.aborted) fail('interrupted', { where: 'waiting for the cache lock' });
    if (await tryCreate(lockPath, content)) break;
    const seen = await readOwner(lockPath);
    if (seen === null) continue; // released between our attempt and the read: try again at once
    if (await isStale(lockPath, seen.owner, staleMs)) {
      if (await breakLock(lockPath, seen.raw)) brokeStale = true;
      continue;
    }
    if (!warned && seen.owner) {
      warned = true;
      opts.onWait?.(seen.owner);
    }
    await sleep(pollMs, opts.signal);
  }

  const timer = setInterval(() => {
    const now = new Date();
    utimes(lockPath, now, now).catch(() => {});
  }, heartbeatMs);
  timer.unref();
  let released = false;
  return {
    brokeStale,
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      // Only remove the file if it is still ours.
      const now = await readOwner(lockPath);
      if (now?.raw === content) await unlink(lockPath).catch(() => {});
    },
  };
}

async function tryCreate(lockPath: string, content: string, retried = false): Promise<boolean> {
  let fh;
  try {
    fh = await open(lockPath, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    // The folder was removed under us (someone cleared the cache): make it again.
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    // Once: a folder that cannot be made (or vanishes again at once) is an error, not a loop.
    if (retried) throw e;
    await makeDirs(path.dirname(lockPath));
    return tryCreate(lockPath, content, true);
  }
  try {
    await fh.writeFile(content);
  } finally {
    await fh.close();
  }
  return true;
}

async function readOwner(lockPath: string): Promise<{ raw: string; owner?: LockOwner } | null> {
  let raw: string;
  try {
    raw = await readFile(lockPath, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    const owner = JSON.parse(raw) as LockOwner;
    if (typeof owner.pid === 'number' && typeof owner.host === 'string') return { raw, owner };
  } catch {
    // An empty or torn file: the owner died between create and write, or is
    // writing right now. Judged by age alone.
  }
  return { raw };
}

async function isStale(lockPath: string, owner: LockOwner | undefined, staleMs: number): Promise<boolean> {
  if (owner && owner.host === os.hostname() && !processAlive(owner.pid)) return true;
  try {
    const st = await stat(lockPath);
    return Date.now() - st.mtimeMs > (owner ? staleMs : Math.min(staleMs, 5_000));
  } catch {
    return false; // gone: the loop will simply try again
  }
}

/** True when a process with this pid exists on this host (it may belong to another user). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function breakLock(lockPath: string, staleRaw: string): Promise<boolean> {
  const aside = `${lockPath}.breaking.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    await rename(lockPath, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
  const caught = await readFile(aside, 'utf8').catch(() => '');
  if (caught === staleRaw) {
    await unlink(aside).catch(() => {});
    return true;
  }
  // Someone else broke the stale lock and took the lock in between; put theirs back.
  try {
    await link(aside, lockPath);
  } catch {
    // A third process holds the lock file now. Nothing safe left to do but
    // leave theirs; the displaced owner's release() sees it is not its file.
  }
  await unlink(aside).catch(() => {});
  return false;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
