// `pipeline-doctor report <runFolder> --out FILE [--compare <earlierRunFolder>]`: the dashboard of a run
// folder as one self-contained HTML file. Exit codes: 0 written, 1 the run or the bundle could not be
// read, 2 usage errors.
import fs from 'node:fs';
import path from 'node:path';
import util from 'node:util';
import { ReportAssetsNotFoundError, writeReport } from '../report/export';
import { RunReadError } from '../report/run-data';
import { isSystemError, UsageError } from './io';
import type { CliIO } from './io';

export const REPORT_USAGE = `Usage: pipeline-doctor report <runFolder> --out FILE [--compare <earlierRunFolder>]

Writes a profiling run (a folder under .pipeline-doctor/runs) as one self-contained HTML report that
opens without a network.

  -o, --out FILE             the HTML file to write
  --compare FOLDER           an earlier run to compare with ("before")
  --no-static                leave out the script's static findings
  -h, --help                 this help

Exit codes: 0 written, 1 the run could not be read or the report not written, 2 usage error.
`;

export async function reportCommand(argv: string[], io: Pick<CliIO, 'stdout' | 'stderr' | 'cwd'>): Promise<number> {
  let parsed;
  try {
    parsed = util.parseArgs({ args: argv, allowPositionals: true, options: { out: { type: 'string', short: 'o' }, compare: { type: 'string' }, 'no-static': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (parsed.values.help) {
    io.stdout(REPORT_USAGE);
    return 0;
  }
  const [folder, ...extra] = parsed.positionals;
  if (!folder || extra.length > 0) throw new UsageError('report needs exactly one run folder');
  if (!parsed.values.out) throw new UsageError('report needs --out FILE');
  const out = path.resolve(io.cwd, parsed.values.out);
  if (isFolder(out)) throw new UsageError(`--out names a folder (${parsed.values.out}); give the HTML file to write`);
  try {
    const written = await writeReport(path.resolve(io.cwd, folder), out, {
      compareWith: parsed.values.compare ? path.resolve(io.cwd, parsed.values.compare) : undefined,
      noStatic: parsed.values['no-static'] === true,
    });
    for (const p of written.problems) io.stderr(`pipeline-doctor report: ${p}\n`);
    io.stdout(`Report: ${path.relative(io.cwd, written.file) || written.file} (${(written.bytes / 1024).toFixed(0)} KiB)\n`);
    return 0;
  } catch (e) {
    // A damaged or missing run, a missing bundle, a file that cannot be written: expected, and the
    // message says which; anything else is a bug and keeps its stack.
    const expected = e instanceof RunReadError || e instanceof ReportAssetsNotFoundError || isSystemError(e);
    io.stderr(`pipeline-doctor report: ${expected ? (e as Error).message : (e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}

function isFolder(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}
