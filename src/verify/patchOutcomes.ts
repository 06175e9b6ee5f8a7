/**
 * What verify concludes about a folder's patch, as tables: facts (gathered
 * by checkPatch.ts, which decides nothing) -> outcome, one row per outcome,
 * evaluated in order, every row whose condition holds giving one finding.
 * The words are apart from the rows, so a new outcome is one row, one
 * sentence and its test.
 */
import type { Finding } from './verifyResult.js';

/** What is known about the patch of a folder, against the pristine tag. */
export interface PatchFacts {
  /** The kind of fix the mode claims. */
  kind: 'edit' | 'tag' | 'none';
  mode: string;
  recipe: string;
  /** The patch the manifest records (its path), if any. */
  patch?: string;
  /** The patchedFiles entries. */
  patchedFiles: number;
  /** patchedFiles paths named more than once. */
  repeatedFiles: string[];
  /** How far the patch file could be read: not at all (outside the folder, not a regular file), or read. */
  file?: 'outside' | 'unchecked' | 'changed' | 'read';
  tag: string;
  repo: string;
  /** The commit the manifest records, and the one the tag names now. */
  recordedCommit?: string;
  fetchedCommit: string;
  /** `git apply --check` on the pristine tag: `applies`, or why not. */
  apply?: 'applies' | { fails: string };
  /** The recipe's reading of the patched tag: its verdict and the sites still needing the fix, or why it could not be read. */
  after?: { verdict: string; sites: string } | { unreadable: string };
  /** Paths the patch changes that patchedFiles does not list. */
  unrecorded: string[];
}

/** What is known about one patchedFiles entry once the patch is applied. */
export interface PatchedFileFacts {
  path: string;
  tag: string;
  /** Inside the source tree. */
  inside: boolean;
  /** The patch changes it. */
  touched: boolean;
  /** The sha256 the manifest records as compiled. */
  recorded: string;
  /** The patched file's sha256, or why it could not be read; absent when not read. */
  actual?: { sha256: string } | { unreadable: string };
}

/** One row: the outcome it names, when it holds, its status and the file the finding is about. */
export interface Row<F> {
  outcome: string;
  status: Finding['status'];
  when: (f: F) => boolean;
  about: (f: F) => string;
}

const MANIFEST = () => 'manifest.json';
const PATCH = (f: PatchFacts) => f.patch!;
const applied = (f: PatchFacts) => f.apply === 'applies';

/** The patch of the folder, as a whole. */
export const PATCH_ROWS: readonly Row<PatchFacts>[] = [
  { outcome: 'files-without-patch', status: 'fail', about: MANIFEST, when: (f) => !f.patch && f.patchedFiles > 0 },
  { outcome: 'edit-without-patch', status: 'fail', about: MANIFEST, when: (f) => !f.patch && f.kind === 'edit' },
  { outcome: 'patch-without-edit', status: 'fail', about: MANIFEST, when: (f) => !!f.patch && f.kind !== 'edit' },
  { outcome: 'repeated-file', status: 'fail', about: MANIFEST, when: (f) => f.repeatedFiles.length > 0 },
  { outcome: 'unchecked', status: 'fail', about: PATCH, when: (f) => f.file === 'unchecked' },
  { outcome: 'changed-while-read', status: 'fail', about: PATCH, when: (f) => f.file === 'changed' },
  // Every mode: the tag that judges the folder must be the commit it was built from.
  { outcome: 'tag-moved', status: 'fail', about: MANIFEST, when: (f) => f.recordedCommit !== f.fetchedCommit },
  { outcome: 'does-not-apply', status: 'fail', about: PATCH, when: (f) => typeof f.apply === 'object' },
  { outcome: 'applies', status: 'ok', about: PATCH, when: applied },
  { outcome: 'patched-unreadable', status: 'fail', about: PATCH, when: (f) => !!f.after && 'unreadable' in f.after },
  {
    outcome: 'fixes',
    status: 'ok',
    about: PATCH,
    when: (f) => !!f.after && 'verdict' in f.after && f.after.verdict !== 'affected',
  },
  {
    outcome: 'still-affected',
    status: 'fail',
    about: PATCH,
    when: (f) => !!f.after && 'verdict' in f.after && f.after.verdict === 'affected',
  },
  { outcome: 'unrecorded-change', status: 'fail', about: MANIFEST, when: (f) => f.unrecorded.length > 0 },
];

/** Each patchedFiles entry, once the patch applies. */
export const FILE_ROWS: readonly Row<PatchedFileFacts>[] = [
  { outcome: 'file-outside', status: 'fail', about: MANIFEST, when: (f) => !f.inside },
  { outcome: 'file-not-changed', status: 'fail', about: MANIFEST, when: (f) => f.inside && !f.touched },
  { outcome: 'file-unreadable', status: 'fail', about: (f) => f.path, when: (f) => !!f.actual && 'unreadable' in f.actual },
  {
    outcome: 'file-matches',
    status: 'ok',
    about: (f) => f.path,
    when: (f) => !!f.actual && 'sha256' in f.actual && f.actual.sha256 === f.recorded,
  },
  {
    outcome: 'file-differs',
    status: 'fail',
    about: (f) => f.path,
    when: (f) => !!f.actual && 'sha256' in f.actual && f.actual.sha256 !== f.recorded,
  },
];

const short = (h: string) => h.slice(0, 16) + '…';

/** The sentence of each outcome. */
export const PATCH_WORDS: Readonly<Record<string, (f: PatchFacts) => string>> = {
  'files-without-patch': (f) => `lists ${f.patchedFiles} patched file(s) but no patch`,
  'edit-without-patch': (f) => `mode ${f.mode} is a source patch, but no patch is recorded`,
  'patch-without-edit': (f) => `records a patch (${f.patch}), but mode ${f.mode} changes no source: the records disagree about the fix`,
  'repeated-file': (f) => `patchedFiles lists ${f.repeatedFiles.join(', ')} more than once: every record names each file once`,
  unchecked: () => 'not checked against the release: the file is missing or not a regular file',
  'changed-while-read': () => 'changed into something verify does not read while it was being checked',
  'tag-moved': (f) =>
    `records ${f.tag} as commit ${f.recordedCommit}, but ${f.repo} has it at ${f.fetchedCommit}: the tag was moved, or the manifest changed`,
  'does-not-apply': (f) => `does not apply to ${f.tag} (${f.fetchedCommit.slice(0, 12)}): ${(f.apply as { fails: string }).fails}`,
  applies: (f) => `applies to ${f.tag} (${f.fetchedCommit.slice(0, 12)}) from ${f.repo}`,
  'patched-unreadable': (f) =>
    `applied to ${f.tag}, recipe ${f.recipe} cannot read the result: ${(f.after as { unreadable: string }).unreadable}`,
  fixes: (f) => `applied to ${f.tag}, recipe ${f.recipe} finds the tree ${(f.after as { verdict: string }).verdict}: nothing left to fix`,
  'still-affected': (f) =>
    `applied to ${f.tag}, the tree is still affected (${(f.after as { sites: string }).sites}): it is not a fix of recipe ${f.recipe}`,
  'unrecorded-change': (f) => `patchedFiles lacks ${f.unrecorded.join(', ')}, which the patch changes`,
};

/** The sentence of each patchedFiles outcome. */
export const FILE_WORDS: Readonly<Record<string, (f: PatchedFileFacts) => string>> = {
  'file-outside': (f) => `patchedFiles names ${JSON.stringify(f.path)}, a path outside the source tree`,
  'file-not-changed': (f) => `patchedFiles lists ${f.path}, which the patch does not change`,
  'file-unreadable': (f) => `patched ${f.tag}: the file is unreadable (${(f.actual as { unreadable: string }).unreadable})`,
  'file-matches': (f) => `patched ${f.tag} gives the sha256 the manifest records as compiled`,
  'file-differs': (f) =>
    `patched ${f.tag} gives sha256 ${short((f.actual as { sha256: string }).sha256)}, but manifest.json records ${short(f.recorded)} as compiled`,
};

/** The findings the rows give for `facts`, in table order. */
export function decide<F>(rows: readonly Row<F>[], words: Readonly<Record<string, (f: F) => string>>, facts: F): Finding[] {
  return rows.filter((r) => r.when(facts)).map((r) => ({ status: r.status, file: r.about(facts), message: words[r.outcome](facts) }));
}
