/**
 * The kmem-accounting recipe's knowledge, as data: which files, which call,
 * what counts as a guard, how each mode's guard is spelled, and the markers
 * kpatch leaves behind. See README.md beside this file for the why.
 */

/** The function whose calls switch kmem accounting on for a new cgroup. */
export const TARGET_FUNCTION = 'EnableKernelMemoryAccounting';

/** The link every marker names: the Kubernetes issue about the leak. */
export const ISSUE_URL = 'https://github.com/kubernetes/kubernetes/issues/61937';

/** Prefix of every marker comment; scan recognises a patched tree by it. */
export const MARKER_PREFIX = '// kpatch:kmem-accounting';

/** The marker comment each mode leaves, by mode. */
export const MARKERS = {
  guard: `${MARKER_PREFIX} guard: kmem accounting only when a kmem limit is set; ${ISSUE_URL}`,
  remove: `${MARKER_PREFIX} removed: kmem accounting is never switched on here; ${ISSUE_URL}`,
} as const;

/** The modes that edit source. */
export type EditMode = keyof typeof MARKERS;

/**
 * Where the vendored libcontainer cgroup code lives: under any vendor root
 * (`vendor/`, `Godeps/_workspace/src/`, nested vendor folders) or at the root
 * of runc's own checkout. Test files are not compiled into the binaries.
 */
export const TARGET_PATH = {
  vendored: 'github.com/opencontainers/runc/libcontainer/cgroups/',
  runcRoot: 'libcontainer/cgroups/',
} as const;

/**
 * Guard templates, by the type of the enclosing function's parameter: the
 * cgroupfs driver's `*cgroupData` (whose `config` embeds the resources), and
 * the systemd driver helpers' `*configs.Cgroup`. `{p}` is the parameter name.
 */
export const GUARDS: readonly { paramType: string; condition: string }[] = [
  { paramType: '*cgroupData', condition: '{p}.config.KernelMemory != 0' },
  { paramType: '*configs.Cgroup', condition: '{p}.Resources.KernelMemory != 0' },
];

/** The field a guard condition tests. */
export const GUARD_FIELD = 'KernelMemory';
/** Comparisons with 0 that mean "a kmem limit was asked for". */
export const GUARD_OPERATORS = ['!=', '>'] as const;

/** Build-constraint tag that compiles the no-op variant (runc rc6 and later). */
export const NOKMEM_TAG = 'nokmem';

/**
 * The error text of runc's kmem_disabled.go (runc commit 8a4629f, late 2018),
 * compiled in only with the nokmem tag: the proof doctor looks for in a
 * binary it has no tree for.
 */
export const NOKMEM_RELEASED_PROOF = 'kernel memory accounting disabled in this runc build';

/**
 * tree-sitter queries, compiled against the installed grammar by a test.
 * `call` finds plain and package-qualified calls of the target function.
 */
export const QUERIES = {
  call: `(call_expression
  function: [
    (identifier) @name
    (selector_expression field: (field_identifier) @name)
  ]
  (#eq? @name "${TARGET_FUNCTION}")) @call`,
  plainCall: `(call_expression function: (identifier) @name) @call`,
  /**
   * Every mention of the function's name in code (not comments or strings):
   * classify.ts keeps those that are neither a call nor a declaration, i.e.
   * the function used as a value (`enable := F`, `run(F)`, `fs.F` passed on).
   */
  reference: `([(identifier) (field_identifier)] @ref (#eq? @ref "${TARGET_FUNCTION}"))`,
  /**
   * Every string literal (import paths too; nokmem.ts skips those): the
   * strings a nokmem-selected file compiles into the binary, the proof that
   * the tag reached the compiler.
   */
  stringLiteral: `[(interpreted_string_literal) (raw_string_literal)] @string`,
} as const;

/**
 * Shortest string literal (in bytes) kpatch takes as a proof: shorter ones
 * ("%s", "memory") turn up anywhere in a 100 MB kubelet, so their presence
 * would prove nothing.
 */
export const MIN_PROOF_BYTES = 16;
