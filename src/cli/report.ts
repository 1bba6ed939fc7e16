// `pipeline-doctor report <runFolder> --out FILE [--compare <earlierRunFolder>]`: the dashboard of a run
// folder as one self-contained HTML file. Exit codes: 0 written, 1 the run or the bundle could not be
// read, 2 usage errors.
import path from 'node:path';
import util from 'node:util';
import { writeReport } from '../report/export';
import { RunReadError } from '../report/run-data';
import { UsageError } from './io';
import type { CliIO } from './io';

export async function reportCommand(argv: string[], io: Pick<CliIO, 'stdout' | 'stderr' | 'cwd'>): Promise<number> {
  let parsed;
  try {
    parsed = util.parseArgs({ args: argv, allowPositionals: true, options: { out: { type: 'string', short: 'o' }, compare: { type: 'string' }, 'no-static': { type: 'boolean' } } });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const [folder, ...extra] = parsed.positionals;
  if (!folder || extra.length > 0) throw new UsageError('report needs exactly one run folder');
  if (!parsed.values.out) throw new UsageError('report needs --out FILE');
  try {
    const written = await writeReport(path.resolve(io.cwd, folder), path.resolve(io.cwd, parsed.values.out), {
      compareWith: parsed.values.compare ? path.resolve(io.cwd, parsed.values.compare) : undefined,
      noStatic: parsed.values['no-static'] === true,
    });
    for (const p of written.problems) io.stderr(`pipeline-doctor report: ${p}\n`);
    io.stdout(`Report: ${path.relative(io.cwd, written.file) || written.file} (${(written.bytes / 1024).toFixed(0)} KiB)\n`);
    return 0;
  } catch (e) {
    // A damaged or missing run is expected, and its message names the file and field; a bug keeps its stack.
    io.stderr(`pipeline-doctor report: ${e instanceof RunReadError ? e.message : (e as Error).stack ?? (e as Error).message}\n`);
    return 1;
  }
}
