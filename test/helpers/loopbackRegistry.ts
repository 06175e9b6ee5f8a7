/**
 * A real image registry on 127.0.0.1 for tests: Debian's `docker-registry`
 * (the CNCF distribution registry) started with a config and storage of its
 * own in a temporary folder, plus a registries.conf that lets podman speak
 * plain HTTP to it (CONTAINERS_REGISTRIES_CONF), as a user with an internal
 * HTTP mirror would. Nothing here reaches beyond the loopback interface.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './cli.js';

/** podman as the tests run it here (README, "This machine"). */
export const PODMAN_ENV = {
  KPATCH_PODMAN_ARGS: '--runtime /usr/sbin/runc',
  CONTAINERS_CONF: path.join(REPO_ROOT, 'scripts/ci/containers.conf'),
};

/** A running loopback registry. */
export interface LoopbackRegistry {
  /** `127.0.0.1:PORT`. */
  host: string;
  /** Environment for podman (and kpatch) to pull from it over HTTP. */
  env: Record<string, string>;
  /** Pushes the local image `local` as `${host}/${name}`. */
  push(local: string, name: string): void;
  /**
   * Pushes a copy of `local` with an image ID of its own under each of
   * `names`, then removes the copy from the local store, so that a later pull
   * is what it is on a user's machine: podman knows the image only by the
   * digest the registry served. (An image built here and pushed from the same
   * store keeps its local manifest digest too, and `RepoDigests` then lists
   * both under every name, in an order that depends on the digests.)
   */
  pushFresh(local: string, names: string[]): void;
  /** The manifest digest the registry serves for `name` (`repo:tag`), from its own API. */
  digest(name: string): Promise<string>;
  /** Stops the registry, removes its storage and the names podman holds of images pulled from it. */
  stop(): Promise<void>;
}

/** A TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Runs podman the way it works here, with `env` added. */
export function podman(args: string[], env: Record<string, string> = {}): string {
  const r = spawnSync('podman', ['--runtime', '/usr/sbin/runc', ...args], {
    env: { ...process.env, ...PODMAN_ENV, ...env },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`podman ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Whether this machine has what the loopback registry needs. */
export function registrySkipReason(): string | undefined {
  for (const p of ['docker-registry', 'podman']) {
    if (spawnSync('sh', ['-c', `command -v ${p}`]).status !== 0) return `${p} is not installed (scripts/install-deps.sh)`;
  }
  return undefined;
}

/** Starts a registry on 127.0.0.1 with empty storage in a fresh temporary folder. */
export async function startRegistry(): Promise<LoopbackRegistry> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kpatch-registry-'));
  mkdirSync(path.join(dir, 'storage'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  writeFileSync(
    path.join(dir, 'config.yml'),
    [
      'version: 0.1',
      'log:',
      '  level: warn',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${path.join(dir, 'storage')}`,
      'http:',
      `  addr: ${host}`,
      '',
    ].join('\n'),
  );
  const registriesConf = path.join(dir, 'registries.conf');
  writeFileSync(
    registriesConf,
    ['unqualified-search-registries = []', '', '[[registry]]', `location = "${host}"`, 'insecure = true', ''].join('\n'),
  );
  const child: ChildProcess = spawn('docker-registry', ['serve', path.join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 20_000;
  for (;;) {
    const ok = await fetch(`http://${host}/v2/`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`docker-registry did not start on ${host}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const env = { CONTAINERS_REGISTRIES_CONF: registriesConf };
  return {
    host,
    env,
    push(local, name) {
      podman(['push', '--quiet', '--tls-verify=false', local, `${host}/${name}`], env);
    },
    pushFresh(local, names) {
      const copy = `localhost/kpatch-test/pushed:${process.pid}-${port}`;
      const ctx = mkdtempSync(path.join(os.tmpdir(), 'kpatch-pushed-'));
      try {
        writeFileSync(path.join(ctx, 'Containerfile'), `FROM ${local}\nLABEL kpatch.test.copy=${process.pid}-${port}\n`);
        podman(['build', '--quiet', '--pull=never', '-t', copy, ctx]);
        for (const name of names) podman(['push', '--quiet', '--tls-verify=false', copy, `${host}/${name}`], env);
      } finally {
        spawnSync('podman', ['--runtime', '/usr/sbin/runc', 'rmi', '--force', copy], { env: { ...process.env, ...PODMAN_ENV } });
        rmSync(ctx, { recursive: true, force: true });
      }
    },
    async digest(name) {
      const [repo, tag] = name.split(':');
      const r = await fetch(`http://${host}/v2/${repo}/manifests/${tag}`, {
        method: 'HEAD',
        headers: { Accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' },
      });
      const d = r.headers.get('docker-content-digest');
      if (!d) throw new Error(`the registry has no ${name} (${r.status})`);
      return d;
    },
    async stop() {
      // Images pulled from this registry carry its port in their names: drop the names (the layers are shared).
      const names = podman(['images', '--format', '{{.Repository}}:{{.Tag}}'])
        .split('\n')
        .filter((n) => n.startsWith(`${host}/`));
      for (const n of names)
        spawnSync('podman', ['--runtime', '/usr/sbin/runc', 'rmi', '--force', n], { env: { ...process.env, ...PODMAN_ENV } });
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Imports `ref`: an image with a shell (the host's dash and the libraries it
 * links) and nothing else, so no make and no go: what a wrong `--image` looks
 * like. Built from host files with `podman import`, as nothing can be pulled.
 */
export function importShellOnlyImage(ref: string): void {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kpatch-shell-image-'));
  try {
    const root = path.join(dir, 'rootfs');
    const sh = spawnSync('readlink', ['-f', '/bin/dash'], { encoding: 'utf8' }).stdout.trim() || '/bin/sh';
    const libs = [...spawnSync('ldd', [sh], { encoding: 'utf8' }).stdout.matchAll(/(\/\S+) \(0x/g)].map((m) => m[1]);
    for (const f of [sh, ...libs]) {
      const dest = path.join(root, f);
      mkdirSync(path.dirname(dest), { recursive: true });
      spawnSync('cp', ['-L', f, dest]);
    }
    mkdirSync(path.join(root, 'bin'), { recursive: true });
    if (sh !== '/bin/sh') spawnSync('ln', ['-sf', sh, path.join(root, 'bin/sh')]);
    spawnSync('tar', ['-C', root, '--numeric-owner', '-cf', path.join(dir, 'rootfs.tar'), '.']);
    podman(['import', '--quiet', '--change', 'ENV PATH=/usr/local/bin:/usr/bin:/bin', path.join(dir, 'rootfs.tar'), ref]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
