/**
 * provenance.json: an in-toto Statement v1 whose predicate is SLSA
 * provenance v1, the format Kubernetes publishes for its own release
 * (KEP-3027). Everything in it is read from the manifest, so the two cannot
 * disagree: the subjects are the binaries, the resolved dependencies the
 * tag's commit, the patch, the build image and the Go toolchain, and the
 * internal parameters say what a rebuild must match to give the same bytes.
 * The subjects are the binaries and the packages made of them.
 * The parameters' meaning (kpatch's buildType) is in docs/provenance.md.
 */
import { recordedFiles, type Manifest } from './manifest.js';

/** Name of the provenance file in an artifact folder. */
export const PROVENANCE_FILE = 'provenance.json';

/** kpatch's buildType: names the template of externalParameters and internalParameters (docs/provenance.md). */
export const BUILD_TYPE = 'https://kpatch.invalid/buildtypes/kpatch-build/v1';

/** The builder's id: kpatch itself, run by whoever ran `kpatch build`. */
export const BUILDER_ID = 'https://kpatch.invalid/builder/kpatch';

/** An in-toto ResourceDescriptor (the parts kpatch writes). */
export interface ResourceDescriptor {
  name?: string;
  uri?: string;
  digest?: Record<string, string>;
  annotations?: Record<string, unknown>;
}

/** The statement kpatch writes. */
export interface ProvenanceStatement {
  _type: 'https://in-toto.io/Statement/v1';
  subject: ResourceDescriptor[];
  predicateType: 'https://slsa.dev/provenance/v1';
  predicate: {
    buildDefinition: {
      buildType: string;
      externalParameters: Record<string, unknown>;
      internalParameters: Record<string, unknown>;
      resolvedDependencies: ResourceDescriptor[];
    };
    runDetails: {
      builder: { id: string; version: Record<string, string> };
      metadata: { invocationId: string; startedOn: string; finishedOn: string };
    };
  };
}

/** The names kpatch gives its resolved dependencies, so verify finds each one. */
export const DEPENDENCY = { source: 'source', patch: 'patch', image: 'build-image', go: 'go-toolchain' } as const;

/** The `git+URL@refs/tags/TAG` form SLSA uses for a source at a tag; undefined when the repository is not a URL. */
export function sourceUri(repo: string | undefined, tag: string | undefined): string | undefined {
  if (!repo || !/^[a-z][a-z0-9+.-]*:\/\//i.test(repo)) return undefined;
  return `git+${repo}${tag ? `@refs/tags/${tag}` : ''}`;
}

/** The digest part of an image digest (`sha256:<hex>`), as an in-toto DigestSet. */
function imageDigest(digest: string | undefined): Record<string, string> | undefined {
  const m = /^(sha256|sha512):([0-9a-f]+)$/.exec(digest ?? '');
  return m ? { [m[1]]: m[2] } : undefined;
}

/** Drops undefined fields, so absent facts are absent rather than null. */
function defined<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** The provenance subjects: every artifact and every package, each with its sha256. */
export function provenanceSubjects(m: Manifest): ProvenanceStatement['subject'] {
  return recordedFiles(m).map((f) => ({ name: f.path, digest: { sha256: f.sha256 } }));
}

/** The provenance statement for a build, from its manifest; `invocationId` names this run. */
export function provenanceFor(m: Manifest, invocationId: string, builderVersion: Record<string, string>): ProvenanceStatement {
  const deps: ResourceDescriptor[] = [];
  const src = m.source;
  deps.push(
    defined({
      name: DEPENDENCY.source,
      uri: sourceUri(src.repo, src.tag),
      digest: src.commit ? { gitCommit: src.commit } : undefined,
      annotations: defined({
        tag: src.tag,
        repository: src.repo,
        path: src.path,
        treeState: src.treeState,
        fixCommittedOn: src.fixCommittedOn,
      }),
    }),
  );
  if (m.patch)
    deps.push(
      defined({
        name: DEPENDENCY.patch,
        uri: undefined,
        digest: { sha256: m.patch.sha256 },
        annotations: defined({ path: m.patch.path, reviewedFrom: m.patch.reviewedFrom }),
      }),
    );
  if (m.image)
    deps.push(
      defined({
        name: DEPENDENCY.image,
        uri: `docker://${m.image.ref}`,
        digest: imageDigest(m.image.digest),
        annotations: defined({ reference: m.image.ref, digest: m.image.digest, chosen: m.image.source }),
      }),
    );
  if (m.goVersion)
    deps.push({ name: DEPENDENCY.go, uri: `pkg:generic/go@${encodeURIComponent(m.goVersion)}`, annotations: { version: m.goVersion } });
  return {
    _type: 'https://in-toto.io/Statement/v1',
    subject: provenanceSubjects(m),
    predicateType: 'https://slsa.dev/provenance/v1',
    predicate: {
      buildDefinition: {
        buildType: BUILD_TYPE,
        externalParameters: defined({
          target: m.target ?? 'kubelet',
          tag: src.tag,
          repository: src.repo,
          sourcePath: src.path,
          mode: m.modeRequested ?? m.mode,
          platforms: m.platforms,
          runner: m.runner,
          versionString: m.versionString,
          buildTags: m.target === 'runc' && m.buildtags !== undefined ? m.buildtags.split(/\s+/).filter(Boolean) : undefined,
          reviewedPatch: m.patch?.reviewedFrom,
        }),
        internalParameters: defined({
          recipe: m.recipe,
          mode: m.mode,
          modeReason: m.modeReason,
          goflags: m.goflags,
          buildtags: m.buildtags,
          sourceDateEpoch: m.sourceDateEpoch,
          command: m.command,
          commands: m.commands,
          verification: m.verification ? { status: m.verification.status, method: m.verification.method } : undefined,
          // What a rebuild must hold equal to give the same bytes (measured: two podman builds of v1.20.2 in one image are bit-identical).
          reproducibleWith: defined({
            image: m.image ? defined({ reference: m.image.ref, digest: m.image.digest }) : undefined,
            goVersion: m.goVersion,
            sourceDateEpoch: m.sourceDateEpoch,
            goflags: m.goflags ?? '',
            buildtags: m.buildtags,
            versionString: m.versionString,
            sourceCommit: src.commit,
            patchSha256: m.patch?.sha256,
            kpatchVersion: m.kpatchVersion,
          }),
        }),
        resolvedDependencies: deps,
      },
      runDetails: {
        builder: { id: `${BUILDER_ID}@${m.kpatchVersion}`, version: builderVersion },
        metadata: { invocationId, startedOn: m.startedAt, finishedOn: m.finishedAt },
      },
    },
  };
}
