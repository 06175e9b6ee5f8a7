/**
 * The SBOM's Go modules, read the two ways kpatch reads them: from a real
 * binary's build info (`go version -m` on a small module-mode program
 * built here with a vendored dependency at runc's import path, as
 * Kubernetes 1.14+ vendors it) and from the tree's vendor/modules.txt; the
 * document is SPDX 2.3 valid against the schema, and the module the patch
 * changed carries the patch's sha256.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binaryModules, modifiedModule, parseVendorModules, sbomFor, vendorModules } from '../../src/manifest/sbom.js';
import type { Manifest } from '../../src/manifest/manifest.js';
import { spdxIdProblems } from '../../src/verify/checkRecords.js';
import { schemaErrors } from '../helpers/jsonSchema.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'kpatch-sbom-'));
const tree = path.join(tmp, 'tree');
const RUNC = 'github.com/opencontainers/runc';
const FS_GO = `vendor/${RUNC}/libcontainer/cgroups/fs/memory.go`;

const MODULES_TXT = `# ${RUNC} v1.0.0-rc92
## explicit
${RUNC}/libcontainer/cgroups/fs
# example.com/staging v0.0.0 => ./staging/src/example.com/staging
## explicit
example.com/staging
# example.com/staging => ./staging/src/example.com/staging
`;

function write(rel: string, text: string): void {
  mkdirSync(path.dirname(path.join(tree, rel)), { recursive: true });
  writeFileSync(path.join(tree, rel), text);
}

beforeAll(() => {
  // A module-mode program vendoring a package at runc's import path (code written for this test).
  write(
    'go.mod',
    `module example.com/app\n\ngo 1.16\n\nrequire (\n\t${RUNC} v1.0.0-rc92\n\texample.com/staging v0.0.0\n)\n\nreplace example.com/staging => ./staging/src/example.com/staging\n`,
  );
  write(
    'main.go',
    `package main\n\nimport (\n\t"fmt"\n\n\t"example.com/staging"\n\tfs "${RUNC}/libcontainer/cgroups/fs"\n)\n\nfunc main() { fmt.Println(fs.Name(), staging.Name()) }\n`,
  );
  write(FS_GO, 'package fs\n\n// Name is all this stand-in package has.\nfunc Name() string { return "memory" }\n');
  write('staging/src/example.com/staging/go.mod', 'module example.com/staging\n\ngo 1.16\n');
  write('staging/src/example.com/staging/s.go', 'package staging\n\n// Name names the package.\nfunc Name() string { return "staging" }\n');
  write('vendor/example.com/staging/s.go', 'package staging\n\n// Name names the package.\nfunc Name() string { return "staging" }\n');
  write('vendor/modules.txt', MODULES_TXT);
  execFileSync('go', ['build', '-mod=vendor', '-o', path.join(tmp, 'app'), '.'], {
    cwd: tree,
    env: { ...process.env, GOFLAGS: '', GOCACHE: path.join(tmp, 'gocache'), GO111MODULE: 'on' },
    stdio: 'pipe',
  });
}, 120_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function manifest(): Manifest {
  return {
    schemaVersion: 1,
    kpatchVersion: '0.1.0',
    target: 'kubelet',
    source: { repo: 'file:///srv/kubernetes.git', tag: 'v1.20.2', commit: 'c'.repeat(40) },
    recipe: 'kmem-accounting',
    mode: 'guard',
    verdictBefore: 'affected',
    verdictAfter: 'patched',
    sites: [
      {
        file: FS_GO,
        function: 'Apply',
        before: { line: 3, column: 1, status: 'unguarded' },
        after: { line: 3, column: 1, status: 'patched' },
      },
    ],
    patch: { path: 'patches/0001-kmem-accounting-guard.patch', sha256: 'a'.repeat(64) },
    patchedFiles: [{ path: FS_GO, sha256: 'b'.repeat(64) }],
    runner: 'podman',
    command: ['make'],
    goVersion: 'go1.19.8',
    platforms: ['linux/amd64'],
    versionString: 'v1.20.2+kpatch.guard',
    image: { ref: 'localhost/kpatch/kube-cross:test', source: 'test', digest: `sha256:${'d'.repeat(64)}` },
    artifacts: [{ path: 'linux-amd64/kubelet', platform: 'linux/amd64', sha256: 'e'.repeat(64), size: 10 }],
    startedAt: '2026-11-30T04:00:00.123Z',
    finishedAt: '2026-11-30T04:05:00.456Z',
  };
}

describe('Go modules in the SBOM', () => {
  it('reads the vendored modules from the binary, with the replacement, through the host Go', async () => {
    const mods = await binaryModules(path.join(tmp, 'app'), process.env);
    expect(mods).toEqual(
      expect.arrayContaining([
        { path: RUNC, version: 'v1.0.0-rc92' },
        { path: 'example.com/staging', version: 'v0.0.0', replace: './staging/src/example.com/staging' },
      ]),
    );
  });

  it('reads the same list from vendor/modules.txt when the binary has none', async () => {
    expect(await vendorModules(tree)).toEqual([
      { path: RUNC, version: 'v1.0.0-rc92' },
      { path: 'example.com/staging', version: 'v0.0.0', replace: './staging/src/example.com/staging' },
    ]);
    expect(parseVendorModules('# example.com/x => ../x\n')).toEqual([{ path: 'example.com/x', replace: '../x' }]);
  });

  it('names the module a vendored file belongs to; a file of the tree itself belongs to none', () => {
    expect(modifiedModule(FS_GO, [{ path: RUNC }])).toBe(RUNC);
    expect(modifiedModule('vendor/github.com/docker/docker/vendor/github.com/opencontainers/runc/x.go', [])).toBe(RUNC);
    expect(modifiedModule('libcontainer/cgroups/fs/memory.go', [{ path: RUNC }])).toBeUndefined();
  });

  it('writes a valid SPDX 2.3 document: runc annotated with the patch sha256, modules with purls, the Go toolchain as build tool', async () => {
    const modules = (await binaryModules(path.join(tmp, 'app'), process.env))!;
    const doc = sbomFor(manifest(), {
      modules: new Map([['linux-amd64/kubelet', { modules, source: 'go version -m' }]]),
      invocationId: 'urn:uuid:1234',
      tool: 'Tool: kpatch-0.1.0',
    }) as any;
    expect(schemaErrors('spdx-2.3.schema.json', doc)).toEqual([]);
    expect(spdxIdProblems(doc)).toEqual([]);
    expect(doc.creationInfo.created).toBe('2026-11-30T04:05:00Z');
    const runc = doc.packages.find((p: any) => p.name === RUNC);
    expect(runc.versionInfo).toBe('v1.0.0-rc92');
    expect(runc.externalRefs).toEqual([
      {
        referenceCategory: 'PACKAGE-MANAGER',
        referenceType: 'purl',
        referenceLocator: 'pkg:golang/github.com/opencontainers/runc@v1.0.0-rc92',
      },
    ]);
    expect(runc.annotations).toEqual([
      expect.objectContaining({
        annotationType: 'OTHER',
        annotator: 'Tool: kpatch-0.1.0',
        comment: expect.stringContaining(`sha256 ${'a'.repeat(64)}`),
      }),
    ]);
    const staging = doc.packages.find((p: any) => p.name === 'example.com/staging');
    expect(staging.annotations).toBeUndefined();
    expect(staging.comment).toBe('replaced by ./staging/src/example.com/staging');
    expect(doc.relationships).toContainEqual({
      spdxElementId: 'SPDXRef-Go-toolchain',
      relationshipType: 'BUILD_TOOL_OF',
      relatedSpdxElement: 'SPDXRef-Binary-linux-amd64-kubelet',
    });
  });

  it('the schema refuses what SPDX 2.3 does not allow', () => {
    const doc = sbomFor(manifest(), { modules: new Map(), invocationId: 'urn:uuid:1', tool: 'Tool: kpatch-0.1.0' }) as any;
    expect(schemaErrors('spdx-2.3.schema.json', { ...doc, dataLicense: 'MIT' }).join()).toContain('/dataLicense');
    expect(schemaErrors('spdx-2.3.schema.json', { ...doc, packages: [{ ...doc.packages[0], filesAnalyzed: true }] }).join()).toContain(
      'packageVerificationCode',
    );
    expect(schemaErrors('spdx-2.3.schema.json', { ...doc, packages: [{ ...doc.packages[0], SPDXID: 'Source' }] }).join()).toContain(
      '/packages/0/SPDXID',
    );
    expect(
      spdxIdProblems({
        ...doc,
        relationships: [{ spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: 'SPDXRef-Nothing' }],
      }),
    ).toEqual(['a relationship names SPDXRef-Nothing, which is not in the document']);
  });
});
