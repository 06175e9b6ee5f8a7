/**
 * `kpatch verify`, part two: the patch against the pristine release. The
 * release is fetched through the tag cache (no network when the tag is
 * cached), the tag must still name the commit the manifest records, the
 * patch must apply (`git apply --check`), and once applied each patched file
 * must hash to what the manifest says was compiled. This is what ties the
 * binaries' source to a public tag plus a reviewable change.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Manifest } from '../manifest/manifest.js';
import { KpatchError } from '../errors.js';
import type { Io } from '../io.js';
import { acquireTree } from '../source/acquireTree.js';
import { GitFailure, runGit } from '../source/runGit.js';
import { hashRegular, readRegular, UnsafeFile } from '../safeFiles.js';
import { MAX_RECORD_BYTES, staysInside } from './checkFiles.js';
import type { Findings } from './verifyResult.js';
import { patchPaths } from '../patchfile/patchPaths.js';

/** Where to fetch the pristine tag from. */
export interface PristineSource {
  /** --repo, overriding the manifest's repository. */
  repo?: string;
  cacheDir?: string;
  timeoutSeconds?: number;
}

/** Checks the manifest's patch against its release; adds findings. */
export async function checkPatch(
  dir: string,
  m: Manifest,
  src: PristineSource,
  io: Io,
  found: Findings,
  hashed: Set<string>,
): Promise<void> {
  if (!m.patch) {
    if (m.patchedFiles?.length) found.fail('manifest.json', `lists ${m.patchedFiles.length} patched file(s) but no patch`);
    else if (m.mode === 'guard' || m.mode === 'remove')
      found.fail('manifest.json', `mode ${m.mode} is a source patch, but no patch is recorded`);
    return;
  }
  const patchFile = m.patch.path;
  if (!staysInside(patchFile)) return; // checkFiles reported it
  if (!hashed.has(patchFile)) {
    found.skip(patchFile, 'not checked against the release: the file is missing or not a regular file');
    return;
  }
  // Read once, safely; git is given a private copy, never a path into the untrusted folder.
  const text = await readRegular(path.resolve(dir, patchFile), { inside: dir, signal: io.signal, maxBytes: MAX_RECORD_BYTES }).catch(
    (e) => {
      if (e instanceof UnsafeFile || (e as NodeJS.ErrnoException).code) return undefined;
      throw e;
    },
  );
  if (text === undefined) {
    found.fail(patchFile, 'changed into something verify does not read while it was being checked');
    return;
  }
  const tag = m.source?.tag;
  const repo = src.repo ?? m.source?.repo;
  if (!tag || !repo) {
    found.fail(
      patchFile,
      `cannot be checked against a pristine tree: the manifest names no ${tag ? 'repository (pass --repo URL)' : 'release tag'}`,
    );
    return;
  }
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'kpatch-verify-'));
  const abs = path.join(scratch, path.basename(patchFile));
  await writeFile(abs, text);
  let tree;
  try {
    // A runc build's tag follows runc's grammar (v1.0.0-rc5); older manifests have no target: kubelet.
    tree = await acquireTree(
      { tag, repo, cacheDir: src.cacheDir, timeoutSeconds: src.timeoutSeconds, tagKind: m.target === 'runc' ? 'runc' : 'kubernetes' },
      io,
    );
  } catch (e) {
    if (e instanceof KpatchError && e.id === 'interrupted') throw e;
    found.fail(patchFile, `cannot fetch ${tag} from ${repo} to check it: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    await rm(scratch, { recursive: true, force: true });
    return;
  }
  try {
    if (m.source.commit && tree.commit !== m.source.commit) {
      found.fail(
        'manifest.json',
        `records ${tag} as commit ${m.source.commit}, but ${repo} has it at ${tree.commit}: the tag was moved, or the manifest changed`,
      );
    }
    try {
      await runGit(['apply', '--check', abs], { cwd: tree.root, io });
    } catch (e) {
      if (!(e instanceof GitFailure) || e.kind !== 'exit') throw e;
      const why = e.stderr.split('\n').filter((l) => l.startsWith('error:'))[0] ?? e.stderr.trim().split('\n')[0] ?? '';
      found.fail(patchFile, `does not apply to ${tag} (${tree.commit.slice(0, 12)}): ${why.replace(/^error:\s*/, '')}`);
      return;
    }
    await runGit(['apply', abs], { cwd: tree.root, io });
    found.ok(patchFile, `applies to ${tag} (${tree.commit.slice(0, 12)}) from ${repo}`);
    const touched = patchPaths(text.toString('utf8'));
    const recorded = new Set((m.patchedFiles ?? []).map((f) => f.path));
    for (const p of touched.filter((t) => !recorded.has(t)))
      found.fail('manifest.json', `patchedFiles lacks ${p}, which the patch changes`);
    for (const f of m.patchedFiles ?? []) {
      if (!staysInside(f.path)) {
        found.fail('manifest.json', `patchedFiles names ${JSON.stringify(f.path)}, a path outside the source tree`);
        continue;
      }
      if (!touched.includes(f.path)) {
        found.fail('manifest.json', `patchedFiles lists ${f.path}, which the patch does not change`);
        continue;
      }
      // A patch can create links: the patched file is read like any untrusted one.
      const actual = await hashRegular(path.join(tree.root, f.path), { inside: tree.root, signal: io.signal }).then(
        (h) => h.sha256,
        (e) => {
          if (e instanceof UnsafeFile || (e as NodeJS.ErrnoException).code)
            return `unreadable (${e instanceof UnsafeFile ? e.reason : (e as Error).message})`;
          throw e;
        },
      );
      if (actual === f.sha256) found.ok(f.path, `patched ${tag} gives the sha256 the manifest records as compiled`);
      else if (!/^[0-9a-f]{64}$/.test(actual)) found.fail(f.path, `patched ${tag}: the file is ${actual}`);
      else
        found.fail(
          f.path,
          `patched ${tag} gives sha256 ${actual.slice(0, 16)}…, but manifest.json records ${f.sha256.slice(0, 16)}… as compiled`,
        );
    }
  } finally {
    await tree.release();
    await rm(scratch, { recursive: true, force: true });
  }
}
