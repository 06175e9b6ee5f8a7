/**
 * `kpatch verify`, the binary proofs. A build-tag claim (the mode, or a tag
 * any record names) is proven on each binary as it is now: it must carry a
 * string only the tag's variant compiles in, taken from the pristine tag
 * (not from the manifest), and where Go recorded build settings they must
 * list the tag. The release must have the variant, in every copy of the code
 * that needs the fix. A check this machine cannot run (no host Go) is a
 * `skip` only when another check ran; a binary nothing can prove fails.
 */
import path from 'node:path';
import { proveBinary } from '../manifest/binaryProof.js';
import type { Manifest } from '../manifest/manifest.js';
import { copyProblems } from '../manifest/verification.js';
import type { Io } from '../io.js';
import { staysInside } from './checkFiles.js';
import type { Claim } from './fixClaim.js';
import type { Pristine } from './pristine.js';
import type { RecordedTag } from './recordedTags.js';
import type { Findings } from './verifyResult.js';

/** Where a target's make takes the tag, as the manifest records it. */
const TAG_FIELD: Readonly<Record<string, 'goflags' | 'buildtags'>> = { kubelet: 'goflags', runc: 'buildtags' };

/** Runs the proofs the claim and the recorded tags call for; adds findings. */
export async function checkProofs(
  dir: string,
  m: Manifest,
  claim: Claim,
  pristine: Pristine,
  recorded: RecordedTag[],
  hashed: Set<string>,
  io: Io,
  found: Findings,
): Promise<void> {
  const buildTag = claim.recipe.buildTag;
  if (!buildTag) return;
  const tag = buildTag.name;
  const naming = recorded.filter((r) => r.tag === tag);
  if (claim.kind !== 'tag' && !naming.length) return;
  const release = pristine.tree.tag;
  if (claim.kind === 'tag') {
    if (!buildTag.files(pristine.files).length) {
      found.fail(
        'manifest.json',
        `mode ${tag}, but ${release} has no ${tag} variant (no target file of recipe ${claim.recipe.id} has a ${tag} build constraint): -tags=${tag} changes nothing there`,
      );
    }
    const uncovered = buildTag.uncovered(pristine.files, pristine.report);
    if (uncovered.length)
      found.fail('manifest.json', `mode ${tag}, but -tags=${tag} leaves part of ${release} unfixed: ${uncovered.join('; ')}`);
    const field = TAG_FIELD[m.target ?? 'kubelet'];
    if (!naming.some((r) => r.where === `manifest.json ${field}`))
      found.fail('manifest.json', `mode ${tag}, but ${field} does not carry -tags=${tag}: a ${tag} build records how the tag reached make`);
  } else if (claim.kind === 'none') {
    found.fail(
      'manifest.json',
      `mode none (built unchanged), but the folder records -tags=${tag} (${[...new Set(naming.map((r) => r.where))].join(', ')}): the records disagree about the fix`,
    );
  }
  const strings = buildTag.proofStrings(pristine.files);
  const copies = buildTag.proofStringsByCopy(pristine.files, pristine.report);
  // Every artifact the manifest lists; checkFiles has failed those that are missing or not regular files.
  for (const art of m.artifacts) {
    if (!staysInside(art.path) || !hashed.has(art.path)) continue;
    const o = await proveBinary(path.join(dir, art.path), art.path, { tag, proofStrings: strings }, io.env);
    const problems = [...o.problems, ...copyProblems(tag, copies, o.proofStringsFound)];
    for (const p of problems) found.fail(art.path, p);
    if (problems.length) continue;
    if (o.proofStringsFound?.length) found.ok(art.path, `carries the ${tag} variant's string ${JSON.stringify(o.proofStringsFound[0])}`);
    if (o.buildTags) found.ok(art.path, `Go build info lists -tags=${o.buildTags.join(',')}`);
    else if (o.ran > 0) found.skip(art.path, `Go build info not read here: ${o.buildInfoUnread}`);
    else
      found.fail(
        art.path,
        `nothing here can show that -tags=${tag} reached it: the ${tag} files of ${release} compile in no string of their own, and ${o.buildInfoUnread}`,
      );
  }
}
