/**
 * The packages of a folder in its records: provenance subjects and SBOM
 * packages. `build --package` writes them with the other records;
 * `kpatch package DIR` adds them to the records a build already wrote, which
 * must then read as if build had written them (so both go through here).
 */
import path from 'node:path';
import type { Manifest } from './manifest.js';
import { provenanceSubjects, type ProvenanceStatement } from './provenance.js';

/** SPDX ids of package files start with this, so an update can find and replace them. */
export const PACKAGE_ID_PREFIX = 'SPDXRef-Package-';

/** The SPDX id of a binary artifact (as sbom.ts names it). */
export const binaryId = (artifactPath: string) => `SPDXRef-Binary-${idPart(artifactPath)}`;

/** The characters SPDX ids allow. */
export function idPart(s: string): string {
  return s.replace(/[^A-Za-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '') || 'x';
}

/** SPDX packages and relationships for the folder's packages: each DESCRIBED by the document and CONTAINing its binary. */
export function sbomPackageEntries(
  m: Manifest,
  created: string,
): { packages: Record<string, unknown>[]; relationships: Record<string, unknown>[] } {
  const packages: Record<string, unknown>[] = [];
  const relationships: Record<string, unknown>[] = [];
  for (const p of m.packages ?? []) {
    const id = PACKAGE_ID_PREFIX + idPart(p.path);
    packages.push({
      SPDXID: id,
      name: p.name,
      versionInfo: `${p.version}-${p.release}`,
      packageFileName: p.path,
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      checksums: [{ algorithm: 'SHA256', checksumValue: p.sha256 }],
      primaryPackagePurpose: 'INSTALL',
      builtDate: created,
      licenseConcluded: 'NOASSERTION',
      licenseDeclared: 'Apache-2.0',
      copyrightText: 'NOASSERTION',
      externalRefs: [
        {
          referenceCategory: 'PACKAGE-MANAGER',
          referenceType: 'purl',
          referenceLocator: purl(p.format, p.name, `${p.version}-${p.release}`, p.arch),
        },
      ],
      comment: `${p.format.toUpperCase()} package of ${p.binary.artifact}, installed as ${p.binary.installPath}${p.from ? `; repackaged from ${path.posix.basename(p.from.file)} (sha256 ${p.from.sha256})` : ''}`,
    });
    relationships.push({ spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: id });
    relationships.push({ spdxElementId: id, relationshipType: 'CONTAINS', relatedSpdxElement: binaryId(p.binary.artifact) });
  }
  return { packages, relationships };
}

/** A package URL (purl spec): `pkg:rpm/kubelet@1.12.4-0.kpatch1.guard?arch=x86_64`. */
function purl(format: 'rpm' | 'deb', name: string, version: string, arch: string): string {
  return `pkg:${format}/${encodeURIComponent(name)}@${encodeURIComponent(version)}?arch=${encodeURIComponent(arch)}`;
}

/** The SBOM `doc` with its package-file entries replaced by those of `m` (the rest kept as build wrote it). */
export function updateSbom(doc: Record<string, unknown>, m: Manifest): Record<string, unknown> {
  const isPackage = (id: unknown) => typeof id === 'string' && id.startsWith(PACKAGE_ID_PREFIX);
  const packages = ((doc.packages as { SPDXID: string }[] | undefined) ?? []).filter((p) => !isPackage(p.SPDXID));
  const relationships = ((doc.relationships as { spdxElementId: string; relatedSpdxElement: string }[] | undefined) ?? []).filter(
    (r) => !isPackage(r.spdxElementId) && !isPackage(r.relatedSpdxElement),
  );
  const created = String((doc.creationInfo as { created?: string } | undefined)?.created ?? new Date().toISOString());
  const added = sbomPackageEntries(m, created);
  return { ...doc, packages: [...packages, ...added.packages], relationships: [...relationships, ...added.relationships] };
}

/** The provenance `doc` with its subjects made from `m` (artifacts and packages); everything else kept. */
export function updateProvenance(doc: ProvenanceStatement, m: Manifest): ProvenanceStatement {
  return { ...doc, subject: provenanceSubjects(m) };
}
