/**
 * The `rpmlib(...)` features rpm 4.11.3 provides: the rpm of CentOS/RHEL 7,
 * the oldest system kpatch's RPMs must install on. A package that requires
 * any other feature (`rpmlib(PayloadIsZstd)`, `rpmlib(RichDependencies)`,
 * `rpmlib(CaretInVersions)`, `rpmlib(LargeFiles)`...) or a newer version of
 * one is refused by that rpm with "rpmlib(...) is needed by ...".
 *
 * Source: rpm's own list, `rpmlibProvides[]` in lib/rpmds.c at the tag
 * `rpm-4.11.3-release` of github.com/rpm-software-management/rpm. Four entries
 * there depend on how rpm was configured (bzip2, xz/lzma, Lua, libcap);
 * CentOS/RHEL 7's rpm is built with all four, so all are listed. rpm answers a
 * package's `rpmlib(X) <= V` with its own `rpmlib(X) = W`: satisfied when
 * W >= V.
 */

/** Feature name to the version rpm 4.11.3 provides. */
export const RPM_4_11_3_FEATURES: Readonly<Record<string, string>> = {
  'rpmlib(VersionedDependencies)': '3.0.3-1',
  'rpmlib(CompressedFileNames)': '3.0.4-1',
  'rpmlib(PayloadIsBzip2)': '3.0.5-1',
  'rpmlib(PayloadIsXz)': '5.2-1',
  'rpmlib(PayloadIsLzma)': '4.4.2-1',
  'rpmlib(PayloadFilesHavePrefix)': '4.0-1',
  'rpmlib(ExplicitPackageProvide)': '4.0-1',
  'rpmlib(HeaderLoadSortsTags)': '4.0.1-1',
  'rpmlib(ScriptletInterpreterArgs)': '4.0.3-1',
  'rpmlib(PartialHardlinkSets)': '4.0.4-1',
  'rpmlib(ConcurrentAccess)': '4.1-1',
  'rpmlib(BuiltinLuaScripts)': '4.2.2-1',
  'rpmlib(FileDigests)': '4.6.0-1',
  'rpmlib(FileCaps)': '4.6.1-1',
  'rpmlib(ScriptletExpansion)': '4.9.0-1',
  'rpmlib(TildeInVersions)': '4.10.0-1',
};

/** Compares dotted-number versions with an optional `-release` (`4.6.0-1`), as far as these entries need. */
function older(a: string, b: string): boolean {
  const parts = (v: string) => v.split(/[.-]/).map((x) => Number(x));
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) < (y[i] ?? 0);
  }
  return false;
}

/**
 * The problems of a package's requirements (lines of `rpm -qp --requires`)
 * for rpm 4.11.3: each `rpmlib(...)` feature it does not provide, or provides
 * only in an older version. Empty when the package installs there.
 */
export function rpmlibProblems(requires: string[]): string[] {
  const problems: string[] = [];
  for (const line of requires) {
    const m = /^(rpmlib\([^)]+\))(?:\s*(<=|=|<|>=|>)\s*(\S+))?$/.exec(line.trim());
    if (!m) continue;
    const provided = RPM_4_11_3_FEATURES[m[1]];
    if (provided === undefined) problems.push(`requires ${line.trim()}, which rpm 4.11.3 (CentOS/RHEL 7) does not provide`);
    else if (m[3] && older(provided, m[3])) problems.push(`requires ${line.trim()}; rpm 4.11.3 provides ${m[1]} = ${provided}`);
  }
  return problems;
}
