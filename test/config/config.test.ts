/**
 * Settings for repeat use: `kpatch.config.json` or package.json's `kpatch` key
 * in the working folder sets repo, registry, image, mode, platforms and cache
 * folder; typed flags win; `kpatch config` prints each effective value and
 * where it came from (validated against schemas/config.schema.json). The
 * settings reach real commands: the matrix's build arguments, and a scan of
 * a release fetched from the configured repository into the configured cache.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { kpatch } from '../helpers/cli.js';
import { expectValidJson, schemaErrors } from '../helpers/jsonSchema.js';
import { makeStandinRemote, type StandinRemote } from '../helpers/standin-repo.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'kpatch-config-'));
const env = { HOME: path.join(tmp, 'home'), KPATCH_CACHE_DIR: undefined, XDG_CACHE_HOME: undefined };
let remote: StandinRemote;
let n = 0;

/** A fresh working folder holding `files`. */
function folder(files: Record<string, unknown>): string {
  const dir = path.join(tmp, `cwd-${n++}`);
  mkdirSync(dir, { recursive: true });
  for (const [name, body] of Object.entries(files))
    writeFileSync(path.join(dir, name), typeof body === 'string' ? body : JSON.stringify(body));
  return dir;
}

beforeAll(() => {
  remote = makeStandinRemote(path.join(tmp, 'remote'), { tags: ['v1.12.4'] });
});

describe('kpatch config', () => {
  it('without a settings file: kpatch defaults, each marked default', () => {
    const cwd = folder({});
    const r = kpatch(['config', '--json'], { cwd, env });
    expect(r.code, r.stderr).toBe(0);
    const doc = expectValidJson('config.schema.json', r.stdout);
    expect(doc.file).toBeNull();
    expect(doc.settings.mode).toEqual({ value: 'guard', origin: 'default' });
    expect(doc.settings.platforms).toEqual({ value: ['linux/amd64'], origin: 'default' });
    expect(doc.settings.repo).toEqual({ value: 'https://github.com/kubernetes/kubernetes.git', origin: 'default' });
    expect(doc.settings.cacheDir).toEqual({ value: path.join(env.HOME, '.cache', 'kpatch'), origin: 'default' });
  });

  it('kpatch.config.json sets values; typed flags override them; the text output names each origin', () => {
    const cwd = folder({
      'kpatch.config.json': {
        $schema: './schemas/kpatch.config.schema.json',
        mode: 'remove',
        platforms: ['linux/arm64', 'linux/amd64'],
        registry: 'mirror.corp/k8s',
        cacheDir: 'kcache',
      },
    });
    const r = kpatch(['config', '--json'], { cwd, env });
    expect(r.code, r.stderr).toBe(0);
    const doc = expectValidJson('config.schema.json', r.stdout);
    expect(doc.file).toBe(path.join(cwd, 'kpatch.config.json'));
    expect(doc.settings.mode).toEqual({ value: 'remove', origin: 'kpatch.config.json' });
    expect(doc.settings.platforms).toEqual({ value: ['linux/arm64', 'linux/amd64'], origin: 'kpatch.config.json' });
    expect(doc.settings.registry).toEqual({ value: 'mirror.corp/k8s', origin: 'kpatch.config.json' });
    expect(doc.settings.cacheDir).toEqual({ value: path.join(cwd, 'kcache'), origin: 'kpatch.config.json' });

    const flags = expectValidJson(
      'config.schema.json',
      kpatch(['config', '--json', '--mode', 'guard', '--image=localhost/kube-cross:x'], { cwd, env }).stdout,
    );
    expect(flags.settings.mode).toEqual({ value: 'guard', origin: 'flag' });
    expect(flags.settings.image).toEqual({ value: 'localhost/kube-cross:x', origin: 'flag' });
    expect(flags.settings.registry).toEqual({ value: null, origin: 'default' }); // a typed --image silences the file's registry
    expect(flags.settings.platforms.origin).toBe('kpatch.config.json');

    const text = kpatch(['config', '--platform', 'linux/amd64'], { cwd, env });
    expect(text.stdout).toMatch(/^mode\s+remove\s+kpatch\.config\.json$/m);
    expect(text.stdout).toMatch(/^platforms\s+linux\/amd64\s+flag --platform$/m);

    // KPATCH_CACHE_DIR outranks the file (environment over file, as for git and npm).
    const envCache = expectValidJson(
      'config.schema.json',
      kpatch(['config', '--json'], { cwd, env: { ...env, KPATCH_CACHE_DIR: path.join(tmp, 'env-cache') } }).stdout,
    );
    expect(envCache.settings.cacheDir).toEqual({ value: path.join(tmp, 'env-cache'), origin: 'env KPATCH_CACHE_DIR' });
  });

  it('the "kpatch" key of package.json works the same way', () => {
    const cwd = folder({ 'package.json': { name: 'ops', kpatch: { mode: 'nokmem', platforms: ['linux/arm64'] } } });
    const doc = expectValidJson('config.schema.json', kpatch(['config', '--json'], { cwd, env }).stdout);
    expect(doc.file).toBe(path.join(cwd, 'package.json'));
    expect(doc.settings.mode).toEqual({ value: 'nokmem', origin: 'package.json#kpatch' });
  });

  it('the settings file schema accepts a good file and rejects the mistakes kpatch rejects', () => {
    expect(schemaErrors('kpatch.config.schema.json', { mode: 'guard', platforms: ['linux/amd64'], repo: 'file:///m/k8s.git' })).toEqual([]);
    expect(schemaErrors('kpatch.config.schema.json', { platfroms: ['linux/amd64'] })).not.toEqual([]);
    expect(schemaErrors('kpatch.config.schema.json', { image: 'a', registry: 'b' })).not.toEqual([]);
  });

  it('refuses a bad settings file with config_invalid (exit 2), naming the problem', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ 'kpatch.config.json': { platfroms: ['linux/amd64'] } }, 'unknown setting "platfroms"'],
      [{ 'kpatch.config.json': '{"mode": "guard",' }, 'not valid JSON'],
      [{ 'kpatch.config.json': { platforms: 'linux/amd64' } }, '"platforms" must be a non-empty list'],
      [{ 'kpatch.config.json': { mode: 'sideways' } }, '"mode" must be one of guard, remove, nokmem, auto'],
      [{ 'kpatch.config.json': { image: 'x', registry: 'y' } }, 'set one of them'],
      [{ 'kpatch.config.json': { mode: 'guard' }, 'package.json': { kpatch: { mode: 'remove' } } }, 'kpatch will not guess'],
    ];
    for (const [files, message] of cases) {
      const r = kpatch(['config'], { cwd: folder(files), env });
      expect(r.code, message).toBe(2);
      expect(r.stderr).toContain('error[config_invalid]');
      expect(r.stderr).toContain(message);
    }
  });
});

describe('a settings file that is not a regular file', () => {
  // Each would hang kpatch (a FIFO waits for a writer) or read without end (/dev/zero):
  // the command must stop at once, with config_invalid (exit 2) naming the file and what it is.
  const cases: [string, string, (file: string) => void, string][] = [
    ['a FIFO kpatch.config.json', 'kpatch.config.json', (f) => execFileSync('mkfifo', [f]), 'is a FIFO (named pipe)'],
    ['kpatch.config.json linked to /dev/zero', 'kpatch.config.json', (f) => symlinkSync('/dev/zero', f), 'is a character device'],
    ['a FIFO package.json', 'package.json', (f) => execFileSync('mkfifo', [f]), 'is a FIFO (named pipe)'],
    ['a kpatch.config.json folder', 'kpatch.config.json', (f) => mkdirSync(f), 'is a folder'],
    [
      'an 8 GiB kpatch.config.json',
      'kpatch.config.json',
      (f) => (writeFileSync(f, ''), truncateSync(f, 8 * 2 ** 30)),
      'is 8589934592 bytes',
    ],
  ];
  for (const [name, file, make, what] of cases) {
    it(`${name}: config_invalid at once, for every command that reads settings`, () => {
      const cwd = folder({});
      make(path.join(cwd, file));
      for (const args of [['config'], ['matrix', '--k8s', 'v1.12.4']]) {
        const r = kpatch(args, { cwd, env, timeoutMs: 20_000 });
        expect(r.killed, `kpatch ${args[0]} hung`).toBe(false);
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toContain(`error[config_invalid]: the settings file is not valid: ${path.join(cwd, file)}`);
        expect(r.stderr).toContain(what);
        expect(r.ms).toBeLessThan(10_000);
      }
    });
  }
});

describe('settings reach the commands', () => {
  it('kpatch matrix builds its arguments from the file, flags first', () => {
    const cwd = folder({
      'kpatch.config.json': {
        mode: 'remove',
        platforms: ['linux/arm64'],
        registry: 'mirror.corp/k8s',
        repo: 'https://mirror.corp/kubernetes.git',
      },
    });
    const r = kpatch(['matrix', '--k8s', 'v1.12.4', '--format', 'json'], { cwd, env });
    expect(r.code, r.stderr).toBe(0);
    expect(expectValidJson('matrix.schema.json', r.stdout).include[0].args).toEqual([
      'build',
      '--k8s',
      'v1.12.4',
      '--platform',
      'linux/arm64',
      '--mode',
      'remove',
      '--out',
      '_kpatch/v1.12.4',
      '--repo',
      'https://mirror.corp/kubernetes.git',
      '--registry',
      'mirror.corp/k8s',
    ]);
    const typed = kpatch(['matrix', '--k8s', 'v1.12.4', '--format', 'json', '--mode', 'guard', '--platform', 'linux/amd64'], { cwd, env });
    expect(JSON.parse(typed.stdout).include[0].args.slice(0, 7)).toEqual([
      'build',
      '--k8s',
      'v1.12.4',
      '--platform',
      'linux/amd64',
      '--mode',
      'guard',
    ]);
  });

  it('kpatch scan --k8s fetches from the configured repo into the configured cache folder', () => {
    const cwd = folder({ 'kpatch.config.json': { repo: remote.url, cacheDir: 'kcache' } });
    const r = kpatch(['scan', '--k8s', 'v1.12.4', '--json'], { cwd, env });
    expect(r.code, r.stderr).toBe(0);
    const doc = expectValidJson('scan.schema.json', r.stdout);
    expect(doc.verdict).toBe('affected');
    expect(doc.source.repo).toBe(remote.url);
    expect(existsSync(path.join(cwd, 'kcache', 'repos'))).toBe(true);
  });

  it('a build-only mode in the file is a usage error for diff, which a typed --mode fixes', () => {
    const cwd = folder({ 'kpatch.config.json': { mode: 'nokmem', repo: remote.url, cacheDir: 'kcache' } });
    const r = kpatch(['diff', '--k8s', 'v1.12.4'], { cwd, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('mode "nokmem" from');
    expect(r.stderr).toContain('pass --mode guard');
    const typed = kpatch(['diff', '--k8s', 'v1.12.4', '--mode', 'guard'], { cwd, env });
    expect(typed.code, typed.stderr).toBe(0);
    expect(typed.stdout).toContain('if d.config.KernelMemory != 0 {');
  });
});
