// The run folder: Arrow stream files plus summary.json. summary.json is written last and atomically
// (tmp + rename), so its presence means the run was summarised; the Arrow files may exist without it.
import fs from 'node:fs';
import path from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import type { Table } from 'apache-arrow';
import { validateRunSummary } from '../shared/profile';
import type { RunSummary } from '../shared/profile';
import { RunFolderError } from './errors';
import { GPU_FILE, LOADERS_FILE, STEPS_FILE, SUMMARY_FILE, SYSTEM_FILE } from './run-tables';

/** The folder of run data in a project: `<project>/.pipeline-doctor/runs` by default (CLI and editor alike). */
export const DATA_FOLDER = '.pipeline-doctor';
const DATA_GITIGNORE = '# Pipeline Doctor run data (profile runs); not for version control.\n*\n';

/**
 * `<base>/<UTC timestamp>-<script>`; unique within a process even for runs started the same millisecond.
 * When this creates the project's `.pipeline-doctor` folder, it writes a `.gitignore` (`*`) in it: run data
 * is machine-local, and the folder is ours. Written here, so the CLI and the editor both do it.
 */
export function createRunFolder(base: string, script: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const name = path.basename(script).replace(/\.py$/, '').replace(/[^\w.-]+/g, '_');
  const dataFolder = path.dirname(path.resolve(base));
  const ours = path.basename(dataFolder) === DATA_FOLDER && !fs.existsSync(dataFolder);
  fs.mkdirSync(base, { recursive: true });
  if (ours) fs.writeFileSync(path.join(dataFolder, '.gitignore'), DATA_GITIGNORE);
  for (let i = 0; ; i++) {
    const dir = path.join(base, `${stamp}-${name}${i ? `-${i}` : ''}`);
    try {
      fs.mkdirSync(dir);
      return dir;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

export function writeSummary(folder: string, summary: RunSummary): void {
  const target = path.join(folder, SUMMARY_FILE);
  const tmp = `${target}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(summary, null, 2) + '\n');
  fs.renameSync(tmp, target);
}

export interface RunData {
  folder: string;
  summary: RunSummary;
  steps: Table | null;
  system: Table | null;
  gpu: Table | null;
  loaders: Table | null;
}

function readTable(folder: string, file: string): Table | null {
  const p = path.join(folder, file);
  if (!fs.existsSync(p)) return null;
  try {
    return tableFromIPC(fs.readFileSync(p));
  } catch (err) {
    throw new RunFolderError(folder, `${file} is not a readable Arrow stream: ${(err as Error).message}`);
  }
}

/** Reads a run folder back; throws RunFolderError when summary.json is missing or not a summary. */
export function readRunFolder(folder: string): RunData {
  const summaryPath = path.join(folder, SUMMARY_FILE);
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(summaryPath, 'utf8'));
  } catch (err) {
    throw new RunFolderError(folder, `cannot read ${SUMMARY_FILE}: ${(err as Error).message}`);
  }
  const checked = validateRunSummary(parsed);
  if (!checked.ok) throw new RunFolderError(folder, `${SUMMARY_FILE} is not a run summary: ${checked.problem}`);
  return {
    folder,
    summary: checked.summary,
    steps: readTable(folder, STEPS_FILE),
    system: readTable(folder, SYSTEM_FILE),
    gpu: readTable(folder, GPU_FILE),
    loaders: readTable(folder, LOADERS_FILE),
  };
}
