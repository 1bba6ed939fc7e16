// Static and runtime findings of one profiled script, combined for the dashboard and the report.
// A runtime finding that confirms a static one (same code, file and line — e.g. LOAD001 measured at the
// DataLoader the rule flagged) replaces it: the user sees one finding with the measurement AND the
// static rule's quick fix, so "Apply fix" works on what the run proved.
import type { Finding } from '../shared/findings';

export function combineFindings(runtime: readonly Finding[], staticFindings: readonly Finding[]): Finding[] {
  const confirmed = new Set<Finding>();
  const merged = runtime.map((r) => {
    const twin = staticFindings.find((s) => s.code === r.code && s.file === r.file && s.range.start.line === r.range.start.line);
    if (!twin) return r;
    confirmed.add(twin);
    return r.fixes.length > 0 ? r : { ...r, fixes: twin.fixes };
  });
  return [...merged, ...staticFindings.filter((s) => !confirmed.has(s))];
}
