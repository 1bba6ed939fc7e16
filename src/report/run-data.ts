// Reads run folders for the dashboard and the report: the history list, and one run as the webview
// receives it (summary, combined findings, raw Arrow IPC bytes — the webview decodes them itself).
// Node only (fs); no `vscode`, so the CLI, the panel host and the tests share it.
import fs from 'node:fs';
import path from 'node:path';
import { analyze } from '../analyzers';
import { GPU_FILE, LOADERS_FILE, STEPS_FILE, SUMMARY_FILE, SYSTEM_FILE } from '../runner/run-tables';
import type { Finding } from '../shared/findings';
import { validateRunSummary } from '../shared/profile';
import type { RunSummary } from '../shared/profile';
import type { DashboardRun, RunListEntry, RunTableBytes } from '../shared/protocol';
import { isRunId } from '../shared/protocol';
import { combineFindings, staticFindingsForRun } from './findings';

export class RunReadError extends Error {
  constructor(readonly folder: string, problem: string) {
    super(`${folder}: ${problem}`);
    this.name = 'RunReadError';
  }
}

export function runIdOf(folder: string): string {
  return path.basename(path.resolve(folder));
}

export function readSummary(folder: string): RunSummary {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(path.join(folder, SUMMARY_FILE), 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && fs.existsSync(folder)) {
      // summary.json is written last (src/runner/run-folder.ts): without it the run never finished.
      throw new RunReadError(folder, `no ${SUMMARY_FILE}: this run was never summarised (still running, or its process ` +
        'was killed before it could write one); profile the script again');
    }
    throw new RunReadError(folder, `cannot read ${SUMMARY_FILE}: ${(e as Error).message}`);
  }
  const checked = validateRunSummary(parsed);
  if (!checked.ok) throw new RunReadError(folder, `${SUMMARY_FILE} is not a run summary: ${checked.problem}`);
  return checked.summary;
}

/**
 * A run started from a launch configuration is named after it: the editor writes the name beside the
 * summary (the runner's files stay the runner's). Absent for runs of a file or from the CLI.
 */
export const RUN_NAME_FILE = 'run-name.txt';

export function writeRunName(folder: string, name: string): void {
  fs.writeFileSync(path.join(folder, RUN_NAME_FILE), `${name}\n`);
}

export function readRunName(folder: string): string | null {
  try {
    const name = fs.readFileSync(path.join(folder, RUN_NAME_FILE), 'utf8').trim();
    return name === '' ? null : name.slice(0, 200);
  } catch {
    return null;
  }
}

/** The script relative to the run's working directory when it lies inside it, else its file name. */
export function defaultRunName(s: RunSummary): string {
  const rel = s.cwd ? path.relative(s.cwd, s.script) : '';
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : path.basename(s.script);
}

export function listEntry(id: string, s: RunSummary, name = defaultRunName(s)): RunListEntry {
  return {
    id, startedAt: s.startedAt, script: s.script, name, mode: s.mode, verdict: s.verdict,
    inputShare: s.inputShare, samplesPerSec: s.samplesPerSec, stepMsP50: s.stepTimeMs?.p50 ?? null,
  };
}

/**
 * The runs under `base` (one folder each), newest first. Folders without a readable summary (a run
 * still going, or from another build) are left out and named in `skipped`, never silently.
 */
export function listRuns(base: string): { runs: RunListEntry[]; skipped: string[] } {
  const runs: RunListEntry[] = [];
  const skipped: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(base, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return { runs, skipped };
  }
  for (const name of names) {
    if (!isRunId(name)) {
      skipped.push(`${name}: not a run folder name`);
      continue;
    }
    try {
      const folder = path.join(base, name);
      const summary = readSummary(folder);
      runs.push(listEntry(name, summary, readRunName(folder) ?? defaultRunName(summary)));
    } catch (e) {
      skipped.push((e as Error).message);
    }
  }
  runs.sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.id.localeCompare(a.id));
  return { runs, skipped };
}

function readBytes(folder: string, file: string): Uint8Array | null {
  const p = path.join(folder, file);
  try {
    const b = fs.readFileSync(p);
    // A view on Node's pooled buffer would drag the whole pool through postMessage; copy to an exact array.
    return new Uint8Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new RunReadError(folder, `cannot read ${file}: ${(e as Error).message}`);
  }
}

export function readTableBytes(folder: string): RunTableBytes {
  return { steps: readBytes(folder, STEPS_FILE), system: readBytes(folder, SYSTEM_FILE), gpu: readBytes(folder, GPU_FILE), loaders: readBytes(folder, LOADERS_FILE) };
}

/** Static findings of the profiled script as it is on disk now; none when it cannot be read. */
export async function staticFindingsFor(script: string, root?: string): Promise<{ findings: Finding[]; problem: string | null }> {
  let text: string;
  try {
    text = fs.readFileSync(script, 'utf8');
  } catch (e) {
    return { findings: [], problem: `static analysis skipped: ${(e as Error).message}` };
  }
  try {
    const result = await analyze(script, text, { root });
    result.tree?.delete();
    return { findings: result.findings, problem: null };
  } catch (e) {
    // The run's own (runtime) findings still make a useful dashboard; the caller shows this problem.
    return { findings: [], problem: `static analysis of ${script} failed: ${(e as Error).message}` };
  }
}

export interface LoadRunOptions {
  /** Static findings to show with the runtime ones; when absent the script is analysed from disk. */
  staticFindings?: readonly Finding[];
  /** Skip static analysis altogether (tests, synthetic runs). */
  noStatic?: boolean;
}

export async function loadDashboardRun(folder: string, options: LoadRunOptions = {}): Promise<{ run: DashboardRun; problems: string[] }> {
  const summary = readSummary(folder);
  const problems: string[] = [];
  let staticFindings: readonly Finding[] = options.staticFindings ?? [];
  if (!options.staticFindings && !options.noStatic && summary.script) {
    const r = await staticFindingsFor(summary.script, summary.cwd || undefined);
    staticFindings = r.findings;
    if (r.problem) problems.push(r.problem);
  }
  return {
    run: {
      id: runIdOf(folder), summary, name: readRunName(folder) ?? defaultRunName(summary),
      findings: combineFindings(summary.findings, staticFindingsForRun(staticFindings, summary)),
      tables: readTableBytes(folder),
    },
    problems,
  };
}
