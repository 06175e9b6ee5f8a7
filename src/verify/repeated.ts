/**
 * Every record of an artifact folder names each file once: a second entry
 * for one name (a second SHA256SUMS line, provenance subject, SBOM package
 * file name or manifest artifact) lets a consumer who takes the first entry
 * and one who takes the last accept different files, so a repeat is a
 * failure in verify and a refusal in sign, whatever the entries say.
 */

/** The values that occur more than once in `values`, each once, in first-seen order. */
export function repeated<T>(values: Iterable<T>): T[] {
  const seen = new Set<T>();
  const twice = new Set<T>();
  for (const v of values) (seen.has(v) ? twice : seen).add(v);
  return [...twice];
}
