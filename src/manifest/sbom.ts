/**
 * sbom.spdx.json: an SPDX 2.3 document, as Kubernetes publishes one for its
 * release: one package per binary (with its SHA256), the source release it
 * was built from, the Go toolchain, and the Go modules compiled in, read
 * from the binary's own build info (`go version -m`, which the host Go
 * reads for any platform) or, where the binary has none (GOPATH-era builds,
 * no host Go), from the tree's `vendor/modules.txt`. The module kpatch
 * changed (the vendored runc, or the tree itself for a runc build) carries
 * an annotation naming the patch and its sha256, or the build tag.
 */
import path from 'node:path';
import { childEnv, runCapture } from '../process/childProcess.js';
import { readBounded } from '../readBounded.js';
import type { Manifest } from './manifest.js';
import { binaryId, idPart, sbomPackageEntries } from './packageRecords.js';

/** Name of the SBOM file in an artifact folder. */
export const SBOM_FILE = 'sbom.spdx.json';

/** One Go module compiled into a binary. */
export interface GoModule {
  path: string;
  version?: string;
  /** A replacement (`=> ./staging/src/k8s.io/api`, or another module and version). */
  replace?: string;
}

/** Where a binary's module list came from, said in the document. */
export type ModuleSource = 'go version -m' | 'vendor/modules.txt' | 'none';

/** The modules of `go version -m` output (its `dep` lines, each with the `=>` line that may follow). */
export function parseBuildInfoModules(text: string): GoModule[] {
  const out: GoModule[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split('\t');
    if (f[0] === 'dep' && f[1]) out.push({ path: f[1], version: f[2] || undefined });
    // A directory replacement prints `(devel)` as its version: no version at all.
    else if (f[0] === '=>' && out.length) out[out.length - 1].replace = [f[1], f[2]].filter((x) => x && x !== '(devel)').join(' ');
  }
  return out;
}

/** The modules of a `vendor/modules.txt` (`# path version [=> replacement]` lines; `##` lines are annotations). */
export function parseVendorModules(text: string): GoModule[] {
  const out: GoModule[] = [];
  for (const line of text.split('\n')) {
    const m = /^# (\S+)(?: (\S+))?(?: => (.+))?$/.exec(line.trim());
    if (!m) continue;
    const [, modPath, version, replace] = m;
    if (version === undefined) {
      // `# path => replacement`: Go lists each replace directive again at the end; a module already listed is not listed twice.
      if (replace && !out.some((x) => x.path === modPath)) out.push({ path: modPath, replace: replace.trim() });
      continue;
    }
    out.push({ path: modPath, version, replace: replace?.trim() });
  }
  return out;
}

/** The modules compiled into `binary`, by the host Go; undefined when there is no host Go or no module info (GOPATH builds). */
export async function binaryModules(binary: string, env: Record<string, string | undefined>): Promise<GoModule[] | undefined> {
  try {
    const r = await runCapture('go', ['version', '-m', binary], { env: childEnv(env), timeoutMs: 60_000 });
    if (r.exitCode !== 0) return undefined;
    const mods = parseBuildInfoModules(r.stdout);
    return mods.length ? mods : undefined;
  } catch {
    return undefined;
  }
}

/** The modules `vendor/modules.txt` of `tree` lists; undefined when it has none. */
export async function vendorModules(tree: string): Promise<GoModule[] | undefined> {
  // Only a regular file of a sane size is read (readBounded.ts); Kubernetes' own is about 100 KB.
  const text = await readBounded(path.join(tree, 'vendor', 'modules.txt'), { maxBytes: 64 << 20 })
    .then((b) => b.toString('utf8'))
    .catch(() => undefined);
  const mods = text === undefined ? [] : parseVendorModules(text);
  return mods.length ? mods : undefined;
}

/** What the SBOM is made from besides the manifest. */
export interface SbomInput {
  /** Modules per artifact path, and where they were read. */
  modules: Map<string, { modules: GoModule[]; source: ModuleSource }>;
  /** Unique part of documentNamespace (the provenance's invocation id). */
  invocationId: string;
  /** `Tool: kpatch-<version>`. */
  tool: string;
}

/** SPDX dates have no fraction of a second. */
const spdxDate = (iso: string) => iso.replace(/\.\d+Z$/, 'Z');

/**
 * The module the fix changed: for a patched file under `vendor/`, the module
 * whose path is the longest prefix of what follows the last `vendor/`
 * (from the module list; without one, Go's convention: three path elements
 * on github.com, two elsewhere); for a file of the tree's own, undefined
 * (the source package itself was changed).
 */
export function modifiedModule(file: string, modules: GoModule[]): string | undefined {
  const i = file.lastIndexOf('vendor/');
  if (i < 0) return undefined;
  const importPath = file.slice(i + 'vendor/'.length);
  const known = modules
    .map((m) => m.path)
    .filter((p) => importPath.startsWith(p + '/'))
    .sort((a, b) => b.length - a.length)[0];
  if (known) return known;
  const parts = importPath.split('/');
  return parts.slice(0, parts[0] === 'github.com' ? 3 : 2).join('/');
}

/** The SPDX 2.3 document for a build. */
export function sbomFor(m: Manifest, input: SbomInput): Record<string, unknown> {
  const target = m.target ?? 'kubelet';
  const created = spdxDate(m.finishedAt);
  const sourceName = target === 'runc' ? 'runc' : 'kubernetes';
  const SOURCE = 'SPDXRef-Source';
  const packages: Record<string, unknown>[] = [];
  const relationships: Record<string, unknown>[] = [];
  const annotate = (comment: string) => ({ annotationDate: created, annotationType: 'OTHER', annotator: input.tool, comment });
  const fixNote = m.patch
    ? `modified by kpatch (recipe ${m.recipe}, mode ${m.mode}): ${m.patch.path} sha256 ${m.patch.sha256}`
    : m.mode !== 'none'
      ? `built by kpatch (recipe ${m.recipe}, mode ${m.mode}) without a source change: ${m.goflags ? `GOFLAGS=${m.goflags}` : `BUILDTAGS=${m.buildtags ?? ''}`}`
      : undefined;
  // The files the fix changed, and the modules they belong to (by artifact, the same for all here).
  const fixed = m.patch ? [...new Set([...m.patchedFiles.map((f) => f.path), ...m.sites.map((s) => s.file)])] : m.sites.map((s) => s.file);
  const allModules = [...input.modules.values()].flatMap((x) => x.modules);
  const modifiedModules = new Set(fixed.map((f) => modifiedModule(f, allModules)).filter((x): x is string => x !== undefined));
  const sourceModified = fixNote !== undefined && fixed.some((f) => modifiedModule(f, allModules) === undefined);
  packages.push({
    SPDXID: SOURCE,
    name: sourceName,
    versionInfo: m.source.tag ?? m.versionString,
    downloadLocation:
      m.source.repo && /^[a-z][a-z0-9+.-]*:\/\//i.test(m.source.repo)
        ? `git+${m.source.repo}${m.source.commit ? `@${m.source.commit}` : ''}`
        : 'NOASSERTION',
    filesAnalyzed: false,
    primaryPackagePurpose: 'SOURCE',
    sourceInfo: `release ${m.source.tag ?? '(untagged)'} at commit ${m.source.commit ?? 'unknown'}${m.source.treeState === 'dirty' ? ', with uncommitted changes' : ''}`,
    licenseConcluded: 'NOASSERTION',
    licenseDeclared: 'Apache-2.0',
    copyrightText: 'NOASSERTION',
    ...(sourceModified ? { annotations: [annotate(fixNote!)] } : {}),
  });
  if (m.goVersion) {
    packages.push({
      SPDXID: 'SPDXRef-Go-toolchain',
      name: 'go',
      versionInfo: m.goVersion,
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      primaryPackagePurpose: 'APPLICATION',
      comment: m.image
        ? `in the build image ${m.image.ref}${m.image.digest ? `@${m.image.digest}` : ''}`
        : `the host Go (runner ${m.runner})`,
    });
  }
  const moduleIds = new Map<string, string>();
  const moduleNotes: string[] = [];
  for (const a of m.artifacts) {
    const id = binaryId(a.path);
    packages.push({
      SPDXID: id,
      name: path.posix.basename(a.path),
      versionInfo: m.versionString,
      packageFileName: a.path,
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      checksums: [{ algorithm: 'SHA256', checksumValue: a.sha256 }],
      primaryPackagePurpose: 'APPLICATION',
      builtDate: created,
      licenseConcluded: 'NOASSERTION',
      licenseDeclared: 'Apache-2.0',
      copyrightText: 'NOASSERTION',
      comment:
        `${target} for ${a.platform}, built by kpatch ${m.kpatchVersion} (mode ${m.mode}) from ${sourceName} ${m.source.tag ?? ''}`.trim(),
    });
    relationships.push({ spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: id });
    relationships.push({ spdxElementId: id, relationshipType: 'GENERATED_FROM', relatedSpdxElement: SOURCE });
    if (m.goVersion)
      relationships.push({ spdxElementId: 'SPDXRef-Go-toolchain', relationshipType: 'BUILD_TOOL_OF', relatedSpdxElement: id });
    const mods = input.modules.get(a.path) ?? { modules: [], source: 'none' as ModuleSource };
    moduleNotes.push(
      `${a.path}: ${mods.modules.length} Go modules, from ${mods.source === 'none' ? 'nowhere (no module information in the binary or the tree)' : mods.source}`,
    );
    for (const mod of mods.modules) {
      const key = `${mod.path}@${mod.version ?? ''}`;
      let modId = moduleIds.get(key);
      if (!modId) {
        modId = `SPDXRef-Go-${idPart(mod.path)}-${idPart(mod.version ?? 'noversion')}`;
        moduleIds.set(key, modId);
        const modified = fixNote !== undefined && modifiedModules.has(mod.path);
        packages.push({
          SPDXID: modId,
          name: mod.path,
          ...(mod.version ? { versionInfo: mod.version } : {}),
          downloadLocation: 'NOASSERTION',
          filesAnalyzed: false,
          primaryPackagePurpose: 'LIBRARY',
          ...(mod.version
            ? {
                externalRefs: [
                  {
                    referenceCategory: 'PACKAGE-MANAGER',
                    referenceType: 'purl',
                    referenceLocator: `pkg:golang/${mod.path.split('/').map(encodeURIComponent).join('/')}@${encodeURIComponent(mod.version)}`,
                  },
                ],
              }
            : {}),
          ...(mod.replace ? { comment: `replaced by ${mod.replace}` } : {}),
          ...(modified ? { annotations: [annotate(fixNote!)] } : {}),
        });
      }
      relationships.push({ spdxElementId: id, relationshipType: 'CONTAINS', relatedSpdxElement: modId });
    }
  }
  // A module kpatch changed that no module list names (GOPATH-era trees): still in the SBOM, annotated.
  for (const mod of [...modifiedModules].filter((p) => fixNote !== undefined && !allModules.some((x) => x.path === p))) {
    const modId = `SPDXRef-Go-${idPart(mod)}-vendored`;
    packages.push({
      SPDXID: modId,
      name: mod,
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      primaryPackagePurpose: 'LIBRARY',
      comment: `vendored in ${sourceName} ${m.source.tag ?? ''} (no module list names its version)`.trim(),
      annotations: [annotate(fixNote!)],
    });
    for (const a of m.artifacts)
      relationships.push({ spdxElementId: binaryId(a.path), relationshipType: 'CONTAINS', relatedSpdxElement: modId });
  }
  // The folder's RPM and DEB packages, each containing its binary.
  const packaged = sbomPackageEntries(m, created);
  packages.push(...packaged.packages);
  relationships.push(...packaged.relationships);
  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: `kpatch-${target}-${m.versionString}`,
    documentNamespace: `https://kpatch.invalid/spdx/${encodeURIComponent(target)}/${encodeURIComponent(m.versionString)}/${input.invocationId.replace(/^urn:uuid:/, '')}`,
    creationInfo: { created, creators: [input.tool], comment: `Module lists: ${moduleNotes.join('; ')}` },
    packages,
    relationships,
  };
}
