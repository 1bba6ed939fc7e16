// Static and runtime findings of one profiled script, combined for the dashboard and the report.
// A runtime finding that confirms a static one (same code, file and line — e.g. LOAD001 measured at the
// DataLoader the rule flagged) replaces it: the user sees one finding with the measurement AND the
// static rule's quick fix, so "Apply fix" works on what the run proved.
import { ruleByCode } from '../analyzers/registry';
import type { Finding } from '../shared/findings';
import type { RunSummary } from '../shared/profile';

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

/**
 * The static findings that concern the run as it ran: on a CPU run (torch imported, no CUDA), advice that
 * only matters on an accelerator (pin_memory, mixed precision, TF32, host-device syncs) is left out.
 */
export function staticFindingsForRun(staticFindings: readonly Finding[], summary: Pick<RunSummary, 'python'>): Finding[] {
  const onCpu = summary.python.torch !== null && !summary.python.cuda;
  if (!onCpu) return [...staticFindings];
  return staticFindings.filter((f) => ruleByCode(f.code)?.requiresAccelerator !== true);
}
