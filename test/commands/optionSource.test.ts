/**
 * Options resolved once (issue 15 item 2): each command's `options` turns
 * yargs' flags, the settings file and the defaults into its typed options,
 * with where each value came from. Precedence as a user sees it: a typed
 * flag wins over KPATCH_CACHE_DIR (cache folder only), which wins over the
 * settings file, which wins over kpatch's default; a typed --image silences
 * the file's registry (and the other way round); the file's repo, registry
 * and image never reach a runc build. The resolvers are driven exactly as
 * src/cli.ts drives them (the command's own yargs builder, its check, the
 * settings layer); what `kpatch config` prints goes through run().
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../src/cli.js';
import type { Args, Command } from '../../src/commands/command.js';
import { COMMANDS } from '../../src/commands/index.js';
import { OptionSource } from '../../src/commands/optionSource.js';
import type { BuildCommandOptions } from '../../src/commands/build.js';
import type { ScanOptions } from '../../src/commands/scan.js';
import type { MatrixOptions } from '../../src/commands/matrix.js';
import { loadYargs } from '../../src/yargsLite.js';
import { testIo, tmpDir } from '../helpers/tagCache.js';

/** A working folder holding `settings` as kpatch.config.json (none when undefined). */
function folder(settings?: Record<string, unknown>): string {
  const dir = path.join(tmpDir('kpatch-options-'), 'work');
  mkdirSync(dir);
  if (settings) writeFileSync(path.join(dir, 'kpatch.config.json'), JSON.stringify(settings));
  return dir;
}

/** The typed options `kpatch <argv>` would run with in `cwd`, and yargs' arguments after resolving. */
async function resolve<O>(argv: string[], cwd: string, env: Record<string, string> = {}): Promise<{ opts: O; args: Args }> {
  const cmd = (await COMMANDS[argv[0]]()) as Command<O>;
  const yargs = await loadYargs(false);
  let args: Args | undefined;
  await yargs(argv)
    .strict()
    .exitProcess(false)
    .command(
      cmd.command,
      cmd.describe,
      (y) => cmd.builder(y),
      (a) => {
        args = a as Args;
      },
    )
    .parseAsync();
  cmd.check?.(args!);
  const from = await OptionSource.read(argv[0], args!, argv, testIo(cwd, env));
  return { opts: cmd.options(from), args: args! };
}

const FILE = {
  mode: 'remove',
  platforms: ['linux/arm64', 'linux/amd64'],
  registry: 'mirror.corp/k8s',
  repo: 'file:///m/k8s.git',
  cacheDir: 'kc',
};

describe('build options', () => {
  it('take the settings file over the defaults, with the file as origin, and leave the parsed flags untouched', async () => {
    const cwd = folder(FILE);
    const { opts, args } = await resolve<BuildCommandOptions>(['build', '--k8s', '1.12.4'], cwd);
    expect(opts.fix).toEqual({ kind: 'edit', mode: 'remove' });
    expect(opts.platforms).toEqual(['linux/arm64', 'linux/amd64']);
    expect(opts.registry).toBe('mirror.corp/k8s');
    expect(opts.image).toBeUndefined();
    expect(opts.cacheDir).toBe(path.join(cwd, 'kc'));
    expect(opts.source).toEqual({
      release: {
        tag: '1.12.4',
        tagKind: 'kubernetes',
        repo: 'file:///m/k8s.git',
        repoFrom: `"repo" in ${path.join(cwd, 'kpatch.config.json')}`,
        cacheDir: path.join(cwd, 'kc'),
        keep: false,
        timeoutSeconds: undefined,
      },
    });
    expect(opts.settings.settings.mode).toEqual({ value: 'remove', origin: 'kpatch.config.json' });
    // The settings file no longer writes into yargs' arguments: they still say what was typed (and yargs' defaults).
    expect(args.mode).toBe('guard');
    expect(args.platform).toBe('linux/amd64');
    expect(args.registry).toBeUndefined();
  });

  it('take typed flags over the file; a typed --image silences the file registry; a typed mode is a Fix', async () => {
    const cwd = folder(FILE);
    const { opts } = await resolve<BuildCommandOptions>(
      ['build', '--k8s', 'v1.12.4', '--mode', 'nokmem', '--platform', 'linux/ppc64le', '--image', 'localhost/kc:1', '--repo', '/r'],
      cwd,
    );
    expect(opts.fix).toEqual({ kind: 'tag', tag: 'nokmem' });
    expect(opts.platforms).toEqual(['linux/ppc64le']);
    expect(opts.image).toBe('localhost/kc:1');
    expect(opts.registry).toBeUndefined();
    expect(opts.settings.settings.registry).toEqual({ value: null, origin: 'default' });
    expect(opts.settings.settings.image).toEqual({ value: 'localhost/kc:1', origin: 'flag' });
    expect('release' in opts.source && opts.source.release).toMatchObject({ repo: '/r', repoFrom: undefined });
  });

  it('KPATCH_CACHE_DIR outranks the file and loses to a typed --cache-dir; the default is auto, guard, linux/amd64', async () => {
    const env = { KPATCH_CACHE_DIR: '/env/cache' };
    const fromEnv = (await resolve<BuildCommandOptions>(['build', '--src', '.'], folder(FILE), env)).opts;
    // The cache folder's resolver reads the environment itself: no value is handed over, the origin says why.
    expect(fromEnv.cacheDir).toBeUndefined();
    expect(fromEnv.settings.settings.cacheDir).toEqual({ value: '/env/cache', origin: 'env KPATCH_CACHE_DIR' });
    const typed = (await resolve<BuildCommandOptions>(['build', '--src', '.', '--cache-dir', 'mine'], folder(FILE), env)).opts;
    expect(typed.cacheDir).toBe('mine');
    expect(typed.settings.settings.cacheDir).toEqual({ value: 'mine', origin: 'flag' });
    const bare = (await resolve<BuildCommandOptions>(['build', '--src', 'tree'], folder())).opts;
    expect(bare).toMatchObject({
      source: { src: 'tree' },
      fix: { kind: 'edit', mode: 'guard' },
      runner: 'auto',
      platforms: ['linux/amd64'],
    });
    expect(bare.settings.settings.mode).toEqual({ value: 'guard', origin: 'default' });
  });

  it("keep the file's repo away from --runc (it names Kubernetes' repository)", async () => {
    const { opts } = await resolve<ScanOptions>(['scan', '--runc', 'v1.1.4'], folder(FILE));
    expect(opts.source).toMatchObject({ release: { tag: 'v1.1.4', tagKind: 'runc', repo: undefined } });
    const typed = await resolve<ScanOptions>(['scan', '--runc', 'v1.1.4', '--repo', '/runc.git'], folder(FILE));
    expect(typed.opts.source).toMatchObject({ release: { tagKind: 'runc', repo: '/runc.git' } });
  });
});

describe('matrix options', () => {
  it('carry the Fix and the merged settings into the matrix request', async () => {
    const { opts } = await resolve<MatrixOptions>(['matrix', '--k8s', 'v1.12.4,v1.13.12', '--json'], folder(FILE));
    expect(opts.format).toBe('json');
    expect(opts.request).toMatchObject({
      tags: ['v1.12.4', 'v1.13.12'],
      fix: { kind: 'edit', mode: 'remove' },
      platforms: ['linux/arm64', 'linux/amd64'],
      repo: 'file:///m/k8s.git',
      registry: 'mirror.corp/k8s',
      runner: undefined,
    });
  });
});

describe('kpatch config shows the same resolution', () => {
  it('flag over environment over file over default, for the cache folder', async () => {
    const cwd = folder(FILE);
    const show = async (argv: string[], env: Record<string, string> = {}) => {
      const io = testIo(cwd, env);
      expect(await run(['config', '--json', ...argv], io)).toBe(0);
      return JSON.parse(io.out()).settings.cacheDir;
    };
    expect(await show([])).toEqual({ value: path.join(cwd, 'kc'), origin: 'kpatch.config.json' });
    expect(await show([], { KPATCH_CACHE_DIR: '/env/cache' })).toEqual({ value: '/env/cache', origin: 'env KPATCH_CACHE_DIR' });
    expect(await show(['--cache-dir', '/typed'], { KPATCH_CACHE_DIR: '/env/cache' })).toEqual({ value: '/typed', origin: 'flag' });
  });
});
