/**
 * What a build left behind, read the way a user would: its manifest, and
 * whether the stand-in kubelet it built switches kernel-memory accounting on
 * (the stand-in creates one pod cgroup under a root we give it and prints its
 * path; a kmem limit file there means kmem was switched on).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';

/** The manifest of a build folder. */
export function manifestOf(out: string): Record<string, any> {
  return JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
}

/**
 * Runs a stand-in kubelet against a fresh cgroup root under `tmp` (asking for
 * a kmem limit when `kernelMemory` is given) and says whether kmem was
 * switched on in the pod cgroup it created.
 */
export function kmemSwitchedOn(kubelet: string, tmp: string, kernelMemory?: number): boolean {
  const root = mkdtempSync(path.join(tmp, 'cgroot-'));
  const args = ['--cgroup-root', root, ...(kernelMemory ? ['--kernel-memory', String(kernelMemory)] : [])];
  const created = execFileSync(kubelet, args, { encoding: 'utf8' }).trim();
  expect(existsSync(created), `pod cgroup ${created} was created`).toBe(true);
  return existsSync(path.join(created, 'memory.kmem.limit_in_bytes'));
}
