/**
 * The build runners against real programs: the local runner with the host's
 * make and Go, the podman runner with podman, runc and the local kube-cross
 * image of scripts/ci/podman-image.sh, and the docker runner through its
 * exact command line and the docker client of this machine (no daemon).
 * Every build is of the stand-in Kubernetes tree (test/fixtures/k8s-standin).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTAINER_HOME, CONTAINER_TREE, type BuildRequest } from '../../src/pipeline/runner.js';
import { chooseRunner } from '../../src/pipeline/runners/chooseRunner.js';
import { containerCommand, createContainerRunner, digestOf, engineGlobalArgs } from '../../src/pipeline/runners/containerRunner.js';
import { imageCacheKey } from '../../src/pipeline/runners/goCache.js';
import { hostNeeds } from '../../src/pipeline/runners/hostTools.js';
import { findExecutable } from '../../src/pipeline/runners/findExecutable.js';
import { createLocalRunner, goVersionWarning, hostGoVersion } from '../../src/pipeline/runners/localRunner.js';
import { KpatchError } from '../../src/errors.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { materializeStandin } from '../helpers/standin-repo.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'kpatch-runners-'));
chmodSync(tmp, 0o755); // the uid-1000 container build must reach its folders
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const KUBELET = (tree: string, platform: string) => path.join(tree, '_output/local/bin', platform, 'kubelet');
const PLATFORMS = ['linux/amd64', 'linux/arm64'];
const MAKE_ARGS = ['WHAT=cmd/kubelet', `KUBE_BUILD_PLATFORMS=${PLATFORMS.join(' ')}`];
const IMAGE = 'localhost/kpatch/kube-cross:local';
/** How podman works on this machine (background.md, "This machine"). */
const PODMAN_ENV = {
  ...process.env,
  KPATCH_PODMAN_ARGS: '--runtime /usr/sbin/runc',
  CONTAINERS_CONF: path.join(REPO_ROOT, 'scripts/ci/containers.conf'),
  // `podman info` can take over 5 s on a busy shared machine.
  KPATCH_ENGINE_PROBE_TIMEOUT: '60',
};

let n = 0;
/** A fresh folder under the test's temporary root. */
function fresh(name: string): string {
  const dir = path.join(tmp, `${++n}-${name}`);
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  return dir;
}

/** A stand-in tree plus a version file outside it, the way `kpatch build` lays them out. */
function standin(tag = 'v1.12.4'): { tree: string; stampDir: string; versionFile: string } {
  const tree = fresh(`tree-${tag}`);
  materializeStandin(tag, tree);
  const stampDir = fresh('stamp');
  const versionFile = path.join(stampDir, 'version.env');
  writeFileSync(
    versionFile,
    [
      `KUBE_GIT_COMMIT='0123456789abcdef0123456789abcdef01234567'`,
      `KUBE_GIT_TREE_STATE='clean'`,
      `KUBE_GIT_VERSION='${tag}+kpatch.guard'`,
      `KUBE_GIT_MAJOR='1'`,
      `KUBE_GIT_MINOR='12'`,
      '',
    ].join('\n'),
  );
  return { tree, stampDir, versionFile };
}

function request(tree: string, cacheDir: string, extra: Partial<BuildRequest> = {}): BuildRequest & { lines: string[] } {
  const lines: string[] = [];
  // The v1.12.4 stand-in has no go.mod: GOPATH mode, as runKubeletMake asks for such a tree.
  return { tree, cacheDir, makeArgs: MAKE_ARGS, env: {}, mounts: [], gopath: 'harness', onLine: (l) => lines.push(l), lines, ...extra };
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

async function rejection(p: Promise<unknown>): Promise<KpatchError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!(e instanceof KpatchError)) throw new Error(`expected a KpatchError, got ${String(e)}`);
  return e;
}

/** Processes whose environment holds `marker` or whose working folder is in `dir`, as "pid command". */
function processesOf(marker: string, dir: string): string[] {
  const hits: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
      let cwd = '';
      try {
        cwd = readlinkSync(`/proc/${pid}/cwd`);
      } catch {
        // kernel thread or gone
      }
      if (environ.includes(marker) || cwd === dir || cwd.startsWith(dir + '/')) {
        hits.push(`${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' ')}`);
      }
    } catch {
      // exited meanwhile, or not ours to read
    }
  }
  return hits;
}

/** Polls `check` until it returns true or `ms` pass. */
async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}

/** Every path under `dir` (itself included) whose owner is not uid:gid. */
function notOwnedBy(dir: string, uid: number, gid: number): string[] {
  const bad: string[] = [];
  const walk = (p: string): void => {
    const st = lstatSync(p);
    if (st.uid !== uid || st.gid !== gid) bad.push(`${p} (${st.uid}:${st.gid})`);
    if (st.isDirectory()) for (const e of readdirSync(p)) walk(path.join(p, e));
  };
  walk(dir);
  return bad;
}

function chownTree(dir: string, uid: number, gid: number): void {
  chownSync(dir, uid, gid);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) chownTree(p, uid, gid);
    else if (e.isSymbolicLink()) execFileSync('chown', ['-h', `${uid}:${gid}`, p]);
    else chownSync(p, uid, gid);
  }
}

describe('local runner', () => {
  const env = process.env;
  const cache = fresh('local-cache');

  it('builds the kubelet for linux/amd64 and linux/arm64, streaming make output, with GOFLAGS reaching go', async () => {
    const { tree, stampDir, versionFile } = standin();
    const req = request(tree, cache, {
      env: { GOFLAGS: '-tags=nokmem', KUBE_GIT_VERSION_FILE: versionFile },
      mounts: [{ host: stampDir, container: '/kpatch/stamp' }],
    });
    const outcome = await createLocalRunner({ env }).build(req);
    expect(outcome.exitCode, req.lines.join('\n')).toBe(0);
    expect(outcome.command).toEqual(['make', ...MAKE_ARGS]);
    expect(outcome.imageDigest).toBeUndefined();
    for (const platform of PLATFORMS) expect(existsSync(KUBELET(tree, platform)), platform).toBe(true);
    expect(req.lines.length).toBeGreaterThan(0);
    expect(req.lines.join('\n')).toMatch(/linux\/arm64/);
    // HOME and GOCACHE were under the cache folder, in the host toolchain's own folder.
    const keys = readdirSync(path.join(cache, 'go-build'));
    expect(keys).toHaveLength(1);
    expect(readdirSync(path.join(cache, 'go-build', keys[0])).length).toBeGreaterThan(10);
    const info = execFileSync('go', ['version', '-m', KUBELET(tree, 'linux/amd64')], { encoding: 'utf8' });
    expect(info).toContain('-tags=nokmem');
    const version = execFileSync(KUBELET(tree, 'linux/amd64'), ['--version'], { encoding: 'utf8' });
    expect(version.trim()).toBe('Kubernetes v1.12.4+kpatch.guard');
  });

  it("returns make's non-zero exit code when make fails", async () => {
    const { tree } = standin();
    const req = request(tree, cache, { makeArgs: ['no-such-target'] });
    const outcome = await createLocalRunner({ env }).build(req);
    expect(outcome.exitCode).not.toBe(0);
    expect(req.lines.join('\n')).toMatch(/No rule to make target/);
  });

  it('abort during the build stops make and every go process it started', async () => {
    const { tree } = standin();
    const coldCache = fresh('local-cold-cache'); // cold: the build runs long enough to be interrupted
    const ctl = new AbortController();
    const req = request(tree, coldCache, { signal: ctl.signal });
    const marker = `GOCACHE=${path.join(coldCache, 'go-build')}`;
    const building = createLocalRunner({ env, killGraceMs: 2000 }).build(req);
    const started = await waitFor(() => processesOf(marker, tree).some((p) => / (go|compile|asm|link) |\/compile /.test(p)), 60_000);
    expect(started, 'go never started').toBe(true);
    await new Promise((r) => setTimeout(r, 1000)); // let go fan out into compile processes
    expect(existsSync(KUBELET(tree, 'linux/arm64')), 'the build ended before the abort').toBe(false);
    const t0 = Date.now();
    ctl.abort();
    const e = await rejection(building);
    expect(e.id).toBe('interrupted');
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(await waitFor(() => processesOf(marker, tree).length === 0, 3000), processesOf(marker, tree).join('\n')).toBe(true);
    expect(existsSync(KUBELET(tree, 'linux/arm64'))).toBe(false);
  });

  it('an already aborted signal starts nothing', async () => {
    const { tree } = standin();
    const ctl = new AbortController();
    ctl.abort();
    expect((await rejection(createLocalRunner({ env }).build(request(tree, cache, { signal: ctl.signal })))).id).toBe('interrupted');
    expect(existsSync(path.join(tree, '_output'))).toBe(false);
  });

  it('a missing make is tool_missing', async () => {
    const { tree } = standin();
    const e = await rejection(createLocalRunner({ env: { PATH: fresh('empty-bin') } }).build(request(tree, cache)));
    expect(e.id).toBe('tool_missing');
    expect(e.where).toBe('make');
  });

  it('warns when the host Go is not the Go of the kube-cross tag', async () => {
    const host = await hostGoVersion(env);
    expect(host).toMatch(/^go1\.\d+/);
    expect(goVersionWarning('go1.10.4', 'v1.10.4-1')).toBeUndefined();
    expect(goVersionWarning('go1.16', 'v1.16.0-1')).toBeUndefined();
    expect(goVersionWarning(undefined, 'v1.10.4-1')).toBeUndefined();
    const w = goVersionWarning('go1.19.8', 'v1.10.4-1');
    expect(w).toContain('go1.19.8');
    expect(w).toContain('go1.10.4');
    expect(w).toContain('v1.10.4-1');
    expect(await hostGoVersion({ PATH: fresh('no-go') })).toBeUndefined();
  });
});

describe('docker runner', () => {
  it('runs exactly this command line', () => {
    const req = request('/src/k8s', '/home/u/.cache/kpatch/build/docker', {
      image: 'k8s.gcr.io/kube-cross:v1.10.4-1',
      env: {
        KUBE_GIT_VERSION_FILE: '/home/u/.cache/kpatch/tmp/stamp-1/version.env',
        SOURCE_DATE_EPOCH: '1543860000',
        GOFLAGS: '-tags=nokmem',
        OUT: '/src/k8s/_output',
      },
      mounts: [{ host: '/home/u/.cache/kpatch/tmp/stamp-1', container: '/kpatch/stamp' }],
    });
    expect(containerCommand('docker', [], req, 'kpatch-build-0123456789ab', 1000, 1001)).toEqual([
      'docker',
      'run',
      '--rm',
      '--name',
      'kpatch-build-0123456789ab',
      '--network',
      'none',
      '-u',
      '1000:1001',
      '-v',
      '/src/k8s:/go/src/k8s.io/kubernetes',
      '-v',
      '/home/u/.cache/kpatch/build/docker:/kpatch/home',
      '-v',
      '/home/u/.cache/kpatch/tmp/stamp-1:/kpatch/stamp:ro',
      '-w',
      '/go/src/k8s.io/kubernetes',
      '-e',
      'HOME=/kpatch/home',
      '-e',
      `GOCACHE=/kpatch/home/go-build/${imageCacheKey('k8s.gcr.io/kube-cross:v1.10.4-1')}`,
      '-e',
      'GO111MODULE=off',
      '-e',
      'KUBE_GIT_VERSION_FILE=/kpatch/stamp/version.env',
      '-e',
      'SOURCE_DATE_EPOCH=1543860000',
      '-e',
      'GOFLAGS=-tags=nokmem',
      '-e',
      'OUT=/go/src/k8s.io/kubernetes/_output',
      'k8s.gcr.io/kube-cross:v1.10.4-1',
      'make',
      'WHAT=cmd/kubelet',
      'KUBE_BUILD_PLATFORMS=linux/amd64 linux/arm64',
    ]);
    expect(CONTAINER_TREE).toBe('/go/src/k8s.io/kubernetes');
    expect(imageCacheKey('k8s.gcr.io/kube-cross:v1.10.4-1')).toMatch(/^image_k8s\.gcr\.io_kube-cross_v1\.10\.4-1-[0-9a-f]{12}$/);
  });

  it("mounts the image's Go cache where the release's harness points GOCACHE, and a runc-era GOPATH", () => {
    const req = request('/src/k8s', '/c/build/docker', { image: 'img:1', treeGoCache: '_output/local/go/cache' });
    const argv = containerCommand('docker', [], req, 'n', 0, 0);
    expect(argv).toContain(`/c/build/docker/go-build/${imageCacheKey('img:1')}:/go/src/k8s.io/kubernetes/_output/local/go/cache`);
    expect(argv).toContain(`GOCACHE=/kpatch/home/go-build/${imageCacheKey('img:1')}`);
    const runc = containerCommand(
      'docker',
      [],
      request('/src/runc', '/c', { image: 'img:1', gopath: 'import-path', containerTree: '/go/src/github.com/opencontainers/runc' }),
      'n',
      0,
      0,
    );
    expect(runc).toContain('GOPATH=/go');
    expect(runc).toContain('GO111MODULE=off');
    expect(
      containerCommand('docker', [], request('/src/k8s', '/c', { image: 'img:1', gopath: undefined }), 'n', 0, 0).join(' '),
    ).not.toContain('GO111MODULE');
    expect(CONTAINER_HOME).toBe('/kpatch/home');
  });

  it('podman takes its global arguments from KPATCH_PODMAN_ARGS; docker takes none', () => {
    expect(engineGlobalArgs('podman', { KPATCH_PODMAN_ARGS: ' --runtime  /usr/sbin/runc ' })).toEqual(['--runtime', '/usr/sbin/runc']);
    expect(engineGlobalArgs('podman', {})).toEqual([]);
    expect(engineGlobalArgs('docker', { KPATCH_PODMAN_ARGS: '--runtime x' })).toEqual([]);
    const req = request('/t', '/c', { image: 'img' });
    expect(
      containerCommand('podman', ['--runtime', '/usr/sbin/runc'], req, 'kpatch-build-x', 0, 0, ['--userns', 'keep-id']).slice(0, 12),
    ).toEqual([
      'podman',
      '--runtime',
      '/usr/sbin/runc',
      'run',
      '--rm',
      '--name',
      'kpatch-build-x',
      '--network',
      'none',
      '-u',
      '0:0',
      '--userns',
    ]);
  });

  it('refuses a host path with ":" (it would be misread by -v)', () => {
    let e: unknown;
    try {
      containerCommand('docker', [], request('/a:b', '/c', { image: 'i' }), 'n', 0, 0);
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(KpatchError);
    expect((e as KpatchError).detail).toContain('cannot be mounted');
  });

  it('reads the digest from RepoDigests, preferring the same repository', () => {
    const d = 'sha256:' + 'e'.repeat(64);
    expect(digestOf('localhost/kpatch/kube-cross:local', `["localhost/kpatch/kube-cross@${d}"]`)).toBe(d);
    expect(digestOf('k8s.gcr.io/kube-cross:v1', `["mirror/kube-cross@sha256:1","k8s.gcr.io/kube-cross@${d}"]`)).toBe(d);
    expect(digestOf('local-built:1', '[]')).toBeUndefined();
    expect(digestOf('x', 'null')).toBeUndefined();
  });

  const docker = findExecutable('docker', process.env);
  it.skipIf(!docker)("--runner docker with a client but no daemon: engine_unavailable with docker's own message", async () => {
    // DOCKER_HOST at a socket that cannot exist: no daemon, wherever this runs.
    const sock = path.join(fresh('docker'), 'docker.sock');
    const e = await rejection(chooseRunner('docker', { ...process.env, DOCKER_HOST: `unix://${sock}` }));
    expect(e.id).toBe('engine_unavailable');
    expect(e.detail).toContain(`Cannot connect to the Docker daemon at unix://${sock}`);
    expect(e.render()).toContain('error[engine_unavailable]');
  });

  it.skipIf(!docker)('--runner docker on this machine as it is (client, no daemon) fails the same way', async () => {
    const probe = spawnSync('docker', ['info'], { encoding: 'utf8', timeout: 10_000 });
    if (probe.status === 0) return; // a machine with a docker daemon: nothing to check
    const e = await rejection(chooseRunner('docker', process.env));
    expect(e.id).toBe('engine_unavailable');
    expect(e.detail).toMatch(/docker daemon/i);
  });

  it('--runner docker without docker on PATH: tool_missing', async () => {
    const e = await rejection(chooseRunner('docker', { PATH: fresh('empty-bin') }));
    expect(e.id).toBe('tool_missing');
    expect(e.where).toBe('docker');
  });
});

describe('chooseRunner auto', () => {
  /** A PATH folder holding only links to the named host programs. */
  function binWith(...names: string[]): string {
    const dir = fresh('bin');
    for (const name of names) symlinkSync(findExecutable(name, process.env)!, path.join(dir, name));
    return dir;
  }

  it('picks podman when docker does not answer and podman does', async () => {
    const sock = path.join(fresh('docker'), 'docker.sock');
    const chosen = await chooseRunner('auto', { ...PODMAN_ENV, DOCKER_HOST: `unix://${sock}` });
    expect(chosen.name).toBe('podman');
    expect(chosen.reason).toMatch(/docker (does not answer|is not installed)/);
    expect(chosen.reason).toContain('`podman info` answers');
  });

  it('picks local when neither docker nor podman is on PATH but go is', async () => {
    const chosen = await chooseRunner('auto', { PATH: binWith(...hostNeeds('kubelet').map((x) => x.program)) });
    expect(chosen.name).toBe('local');
    expect(chosen.reason).toBe('auto: docker is not installed; podman is not installed; go is on PATH: building on the host');
  });

  it('with nothing to build with: tool_missing saying what to install', async () => {
    const e = await rejection(chooseRunner('auto', { PATH: fresh('empty-bin') }));
    expect(e.id).toBe('tool_missing');
    expect(e.detail).toContain('docker is not installed; podman is not installed; go is not on PATH');
    expect(e.hint).toMatch(/install docker or podman .* or Go and make/);
  });

  it("--runner podman with a broken podman set-up: engine_unavailable with podman's own message", async () => {
    const conf = path.join(fresh('conf'), 'broken.conf');
    writeFileSync(conf, '[containers\n');
    const e = await rejection(chooseRunner('podman', { ...PODMAN_ENV, CONTAINERS_CONF: conf }));
    expect(e.id).toBe('engine_unavailable');
    expect(e.detail).toContain(conf);
  });

  it('--runner local without go: host_tools_missing naming go among the rest', async () => {
    const e = await rejection(chooseRunner('local', { PATH: binWith('make') }));
    expect(e.id).toBe('host_tools_missing');
    expect(e.detail).toMatch(/^ {2}go .*golang-go/m);
  });
});

describe('podman runner, for real', () => {
  beforeAll(() => {
    // Builds localhost/kpatch/kube-cross:local from host files; 0.1 s when it exists.
    execFileSync('bash', [path.join(REPO_ROOT, 'scripts/ci/podman-image.sh'), IMAGE], { stdio: 'inherit', timeout: 600_000 });
  }, 600_000);

  const podman = (...args: string[]) =>
    execFileSync('podman', [...engineGlobalArgs('podman', PODMAN_ENV), ...args], { env: PODMAN_ENV, encoding: 'utf8' });
  /** Names of the kpatch build containers (any state) that mount `tree`. */
  const containersOf = (tree: string): string[] =>
    podman('ps', '-a', '--format', '{{.Names}}')
      .split('\n')
      .filter((name) => name.startsWith('kpatch-build-'))
      .filter((name) => {
        try {
          return podman('inspect', '--format', '{{range .Mounts}}{{.Source}} {{end}}', name).split(' ').includes(tree);
        } catch {
          return false; // removed meanwhile
        }
      });

  const first = standin();
  const firstCache = fresh('podman-cache');
  const hashes: Record<string, string> = {};

  it('builds both platforms in the container as the invoking user, with the stamp mounted', { timeout: 300_000 }, async () => {
    const { runner, reason } = await chooseRunner('podman', PODMAN_ENV).then((r) => ({ runner: r, reason: r.reason }));
    expect(reason).toBe('--runner podman');
    const req = request(first.tree, firstCache, {
      image: IMAGE,
      env: { KUBE_GIT_VERSION_FILE: first.versionFile, SOURCE_DATE_EPOCH: '1543860000' },
      mounts: [{ host: first.stampDir, container: '/kpatch/stamp' }],
    });
    const t0 = Date.now();
    const outcome = await runner.build(req);
    console.log(`podman build, cold cache, 2 platforms: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect(outcome.exitCode, req.lines.join('\n')).toBe(0);
    expect(outcome.command.slice(0, 4)).toEqual(['podman', '--runtime', '/usr/sbin/runc', 'run']);
    expect(outcome.command).toContain(`KUBE_GIT_VERSION_FILE=/kpatch/stamp/version.env`);
    expect(outcome.imageDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    for (const p of PLATFORMS) hashes[p] = sha256(KUBELET(first.tree, p));
    expect(execFileSync(KUBELET(first.tree, 'linux/amd64'), ['--version'], { encoding: 'utf8' }).trim()).toBe(
      'Kubernetes v1.12.4+kpatch.guard',
    );
    const me = [process.getuid!(), process.getgid!()] as const;
    expect(notOwnedBy(first.tree, ...me)).toEqual([]);
    expect(notOwnedBy(firstCache, ...me)).toEqual([]);
    expect(containersOf(first.tree)).toEqual([]); // --rm
  });

  it(
    'a second build, in another folder, as another user, with a fresh cache, gives bit-identical kubelets owned by that user',
    { timeout: 300_000 },
    async () => {
      const second = standin();
      const cache = fresh('podman-cache-uid1000');
      chownTree(second.tree, 1000, 1000);
      chownTree(cache, 1000, 1000);
      const runner = createContainerRunner({
        engine: 'podman',
        globalArgs: engineGlobalArgs('podman', PODMAN_ENV),
        env: PODMAN_ENV,
        uid: 1000,
        gid: 1000,
      });
      const req = request(second.tree, cache, {
        image: IMAGE,
        env: { KUBE_GIT_VERSION_FILE: second.versionFile, SOURCE_DATE_EPOCH: '1543860000' },
        mounts: [{ host: second.stampDir, container: '/kpatch/stamp' }],
      });
      const t0 = Date.now();
      const outcome = await runner.build(req);
      console.log(`podman build as uid 1000, cold cache, 2 platforms: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      expect(outcome.exitCode, req.lines.join('\n')).toBe(0);
      expect(outcome.command).toContain('1000:1000');
      for (const p of PLATFORMS) expect(sha256(KUBELET(second.tree, p)), p).toBe(hashes[p]);
      expect(notOwnedBy(second.tree, 1000, 1000)).toEqual([]);
      expect(notOwnedBy(cache, 1000, 1000)).toEqual([]);
    },
  );

  it('a rebuild with the warm cache is fast and still identical', { timeout: 300_000 }, async () => {
    rmSync(path.join(first.tree, '_output'), { recursive: true, force: true });
    const runner = await chooseRunner('podman', PODMAN_ENV);
    const req = request(first.tree, firstCache, {
      image: IMAGE,
      env: { KUBE_GIT_VERSION_FILE: first.versionFile, SOURCE_DATE_EPOCH: '1543860000' },
      mounts: [{ host: first.stampDir, container: '/kpatch/stamp' }],
    });
    const t0 = Date.now();
    expect((await runner.build(req)).exitCode, req.lines.join('\n')).toBe(0);
    console.log(`podman build, warm cache, 2 platforms: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    for (const p of PLATFORMS) expect(sha256(KUBELET(first.tree, p)), p).toBe(hashes[p]);
  });

  it('abort mid-build removes the container', { timeout: 300_000 }, async () => {
    const { tree } = standin();
    const cache = fresh('podman-cold-cache');
    const runner = await chooseRunner('podman', PODMAN_ENV);
    const ctl = new AbortController();
    const req = request(tree, cache, { image: IMAGE, signal: ctl.signal });
    const building = runner.build(req);
    // Wait until make is running in the container (it has printed something).
    expect(
      await waitFor(() => req.lines.some((l) => l.includes('Building go targets')) && containersOf(tree).length === 1, 120_000),
      req.lines.join('\n'),
    ).toBe(true);
    await new Promise((r) => setTimeout(r, 1500)); // well into compiling
    expect(existsSync(KUBELET(tree, 'linux/arm64')), 'the build ended before the abort').toBe(false);
    const t0 = Date.now();
    ctl.abort();
    expect((await rejection(building)).id).toBe('interrupted');
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(containersOf(tree)).toEqual([]);
    expect(podman('ps', '-a', '--filter', 'name=kpatch-build-', '--format', '{{.Names}} {{.Mounts}}')).not.toContain(tree);
    expect(existsSync(KUBELET(tree, 'linux/arm64'))).toBe(false);
  });

  it("a missing image: image_unavailable with podman's own words", { timeout: 120_000 }, async () => {
    const { tree } = standin();
    const runner = await chooseRunner('podman', PODMAN_ENV);
    const req = request(tree, fresh('c'), { image: 'localhost/kpatch/no-such-image:x' });
    const e = await rejection(runner.build(req));
    expect(e.id).toBe('image_unavailable');
    expect(e.where).toBe('localhost/kpatch/no-such-image:x');
    expect(e.detail).toMatch(/localhost/);
  });

  it("an image without make: container_failed with the engine's message", { timeout: 120_000 }, async () => {
    const { tree } = standin();
    const runner = await chooseRunner('podman', PODMAN_ENV);
    const req = request(tree, fresh('c'), { image: IMAGE, makeArgs: [] });
    // PATH without make in the container: the engine cannot run the command (exit 127).
    req.env = { PATH: '/nonexistent' };
    const e = await rejection(runner.build(req));
    expect(e.id).toBe('container_failed');
    expect(e.detail).toMatch(/make/);
  });
});
