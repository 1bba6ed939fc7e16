// A run folder read back for a comparison (src/shared/run-comparison.ts): its summary and the training
// loader's measured steps from steps.arrow, in the order they ran (the bootstrap resamples blocks of
// consecutive steps).
import fs from 'node:fs';
import path from 'node:path';
import type { MeasuredRun } from '../shared/run-comparison';
import { RunFolderError } from './errors';
import { readRunFolder } from './run-folder';
import { SUMMARY_FILE } from './run-tables';

export function readMeasuredRun(folder: string): MeasuredRun {
  const data = readRunFolder(folder);
  const training = data.summary.loaders.find((l) => l.training)?.id;
  const stepMs: number[] = [];
  const waitMs: number[] = [];
  const samples: (number | null)[] = [];
  const t = data.steps;
  if (t !== null && training !== undefined) {
    const loader = t.getChild('loader');
    const phase = t.getChild('phase');
    const step = t.getChild('stepMs');
    const wait = t.getChild('waitMs');
    const n = t.getChild('samples');
    const index = t.getChild('index');
    if (!loader || !phase || !step || !wait) throw new RunFolderError(folder, 'steps.arrow lacks the loader, phase, stepMs or waitMs column');
    const rows: { index: number; step: number; wait: number; samples: number | null }[] = [];
    for (let i = 0; i < t.numRows; i++) {
      if (loader.get(i) !== training || phase.get(i) !== 'measured') continue;
      rows.push({ index: Number(index?.get(i) ?? i), step: Number(step.get(i)), wait: Number(wait.get(i)), samples: (n?.get(i) as number | null | undefined) ?? null });
    }
    rows.sort((a, b) => a.index - b.index);
    for (const r of rows) {
      stepMs.push(r.step);
      waitMs.push(r.wait);
      samples.push(r.samples);
    }
  }
  return { summary: data.summary, stepMs, waitMs, samples };
}

/**
 * A run named on the command line: a folder holding summary.json (absolute or relative to `cwd`), or the
 * name of a run folder under `runsDir`. Null when neither exists.
 */
export function resolveRunFolder(ref: string, cwd: string, runsDir: string): string | null {
  for (const candidate of [path.resolve(cwd, ref), path.resolve(runsDir, ref)]) {
    if (fs.existsSync(path.join(candidate, SUMMARY_FILE))) return candidate;
  }
  return null;
}
