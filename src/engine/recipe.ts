/**
 * The contract between the generic engine and a semantic patch recipe. A
 * recipe says which files it reads, what it finds there, and how each mode
 * edits them; the engine loads, parses, applies, verifies and renders.
 */
import type { TextEdit } from './edits.js';
import type { GoFile } from './sourceFile.js';

/** The overall state of a tree for one recipe. */
export type Verdict = 'affected' | 'not-affected' | 'patched';

/** One place the recipe looked at. */
export interface Site {
  /** Path relative to the tree root. */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based byte column. */
  column: number;
  /** Enclosing function, Go style: `(*T).M` or `f`. */
  function: string;
  /** Recipe-defined status, e.g. `unguarded`. */
  status: string;
  /** Why the status was given, for humans. */
  reason?: string;
}

/** A marker the recipe left in a file on an earlier run. */
export interface Marker {
  file: string;
  line: number;
  /** The mode that left it. */
  mode: string;
}

/** What a recipe found in a tree. */
export interface ScanReport {
  recipe: string;
  verdict: Verdict;
  /** Every target file read, relative paths. */
  files: string[];
  sites: Site[];
  markers: Marker[];
  /** Recipe-specific facts, merged into JSON output (e.g. `nokmem`). */
  facts: Record<string, unknown>;
}

/** A semantic patch recipe. */
export interface Recipe {
  id: string;
  /** One line: what the recipe fixes. */
  title: string;
  /** Modes that edit source, in the order the help lists them. */
  modes: readonly string[];
  defaultMode: string;
  /** What each editing mode does, one phrase per mode, for `--mode`'s help (`guard: ...`). */
  modeHelp: Readonly<Record<string, string>>;
  /**
   * The recipe's facts (ScanReport.facts) as lines for `kpatch scan`'s text
   * output: only the recipe knows what its facts mean.
   */
  renderFacts(report: ScanReport): string[];
  /** Every tree-sitter query the recipe uses, by name (compiled in a test). */
  queries: Record<string, string>;
  /** True when a file (path relative to the root) is one the recipe reads. */
  isTarget(rel: string): boolean;
  /**
   * Which copy of the target code a target file belongs to, as the copy's
   * root folder (`vendor/x/` or `vendor/y/vendor/x/`; '' for the tree's own):
   * a tree may vendor the code more than once, and Go compiles each copy.
   */
  copyOf(rel: string): string;
  /** False when no file directly in this folder (relative path, '' for the root) can be a target. */
  isTargetFolder(dirRel: string): boolean;
  /** Finds and classifies sites. Pure: reads only the given files. */
  scan(files: GoFile[]): ScanReport;
  /** True for a site whose status makes the tree affected (kmem-accounting: `unguarded`, `unsupported`). */
  needsFix(site: Site): boolean;
  /** Edits per file path for `mode`; throws a KpatchError for shapes it cannot rewrite. */
  plan(files: GoFile[], report: ScanReport, mode: string): Map<string, TextEdit[]>;
  /**
   * Subject (one line, what and why) and body (the findings) of the patch a
   * mode makes, and its DEP-3 fields (Debian's patch tagging: where the
   * change comes from, the bug it fixes, whether it goes upstream).
   */
  describe(report: ScanReport, mode: string): { subject: string; body: string; dep3?: Dep3Fields };
  /** A build tag that compiles the fix in with no source change, when the recipe knows one. */
  buildTag?: BuildTag;
  /**
   * A name the code the recipe fixes puts in a Go binary's symbol table (Go
   * keeps function names even in stripped binaries): a Go binary without it
   * does not hold that code. Read by checks of binaries that have no tree.
   */
  targetSymbol: string;
}

/**
 * What a recipe says about itself, apart from its code: the words of its
 * flags and help, and what a binary shows. Commands declare `--mode` and
 * doctor reads binaries with these alone, so they do not load the recipe's
 * code and the engine behind it (scripts/bench-startup.mjs).
 */
export type RecipeFacts = Pick<Recipe, 'id' | 'title' | 'modes' | 'defaultMode' | 'modeHelp' | 'targetSymbol'> & {
  buildTag?: Pick<BuildTag, 'name' | 'help' | 'knownProofStrings'>;
};

/**
 * A Go build tag that selects a fixed variant of the target code (for
 * kmem-accounting: runc's `nokmem`), and what that variant compiles in, so a
 * build can prove from the binary that the tag reached the compiler.
 */
export interface BuildTag {
  /** The tag, e.g. `nokmem`. */
  name: string;
  /** What building with the tag does, for `--mode`'s help (after `<name>: `). */
  help: string;
  /** Target files (relative paths) the tag selects; empty when the tree does not offer it. */
  files(files: GoFile[]): string[];
  /** Strings only the tag's variant puts in a binary; empty when it has none of its own. */
  proofStrings(files: GoFile[]): string[];
  /**
   * Parts of the tree (one line each, naming the part and why) that need the
   * fix but would not get it from the tag: a tree may hold several copies of
   * the target code (nested vendor folders), and the tag fixes only those
   * that have its variant. Empty when the tag fixes every part that needs it.
   */
  uncovered(files: GoFile[], report: ScanReport): string[];
  /** The proof strings of each copy of the target code that needs the fix, by copy. */
  proofStringsByCopy(files: GoFile[], report: ScanReport): { copy: string; strings: string[] }[];
  /** Proof strings of the variant as released, for a binary read without its tree. */
  knownProofStrings: readonly string[];
}

/** DEP-3 fields a recipe gives its patches (Last-Update comes from the source commit's date, not from here). */
export interface Dep3Fields {
  /** `Origin:` where the change comes from: `upstream`, `backport`, `vendor` or `other`, a comma, then a URL or a name. */
  origin: string;
  /** `Bug:` the upstream bug the patch fixes. */
  bug?: string;
  /** `Forwarded:` a URL, `no`, or `not-needed`. */
  forwarded?: string;
}
