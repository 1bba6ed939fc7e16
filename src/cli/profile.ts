// `pipeline-doctor profile`: argument parsing and rendering around the runner core (src/runner).
// Exit codes: 0 when the run was measured (whatever the verdict), 1 when it failed, 2 on usage errors,
// 130 when it was stopped (Ctrl+C, SIGTERM, SIGHUP; the summary still has the verdict of the steps measured).
import fs from 'node:fs';
import path from 'node:path';
import { PROFILE_MODES } from '../shared/profile';
import type { ProfileMode, RunSummary, Spread } from '../shared/profile';
import { controlSentence, verdictSentence } from '../shared/verdict-text';
import { MetricsServerError, profileScript, RUNTIME_RULES } from '../runner/index';
import type { ProfileOptions } from '../runner/index';
import { describeSetting, rank } from '../runner/sweep-plan';
import { readMeasuredRun, resolveRunFolder } from '../runner/measured-run';
import { rerunConfiguration } from '../runner/rerun';
import { compareMeasuredRuns } from '../shared/run-comparison';
import type { MeasuredRun } from '../shared/run-comparison';
import { renderComparison, runLabel } from './compare';
import { toSarif } from './sarif';

export interface ProfileIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  cwd: string;
  version?: string;
}

export const PROFILE_USAGE = `Usage: pipeline-doctor profile <script> [options] [-- <script args>]
       pipeline-doctor profile [<script>] --compare-with <run> [options] [-- <script args>]

Runs the script under the profiling harness and reports whether training waits for its data.

  --mode quick|full|sweep   quick (default): warm-up + measured steps, then stop; full: run to completion;
                            sweep: quick, then trial runs of the real training step per loader setting
                            (num_workers, pin_memory, prefetch_factor, persistent_workers)
  --sweep-budget SEC        wall-time budget of the sweep's trial runs (default 120)
  --steps N                 measured steps (default 50)
  --warmup N                warm-up steps before measuring (default 10)
  --control N               data-free control steps after the measured ones (default 20, 0 = off)
  --python PATH             interpreter to run the script with (default: python3 on PATH)
  --module                  <script> is a module name (python -m)
  --out DIR                 folder for run folders (default .pipeline-doctor/runs)
  --timeout SEC             stop the run after SEC seconds
  --data-root DIR           dataset folder for the IO probe (default: found from the dataset object)
  --no-data-probe           skip the data-quality probe of the first warm-up batches (NaN/Inf, constant
                            features, class mix, duplicates, 0-255 images, empty batches)
  --json                    print the run summary as JSON
  --format text|json|sarif  output format (default text)
  --report FILE             also write the run as one self-contained HTML report (no network needed)
  --metrics-port PORT       serve live metrics for Prometheus on PORT (/metrics) while the run goes (default off)
  --metrics-host ADDR       address the metrics endpoint listens on (default 127.0.0.1, loopback only)
  --metrics-linger SEC      keep the endpoint up SEC seconds after the run for a last scrape; the summary
                            prints after it (default 0)
  --compare-with RUN        rerun with RUN's configuration (script, arguments, interpreter, mode, steps,
                            warm-up; options given here win) and print before/after: step time and data
                            wait with their spread, the measured speed-up with its interval, the loader
                            settings that changed, the verdict change, and a warning when the machine's
                            load differed. RUN is a run folder, or a run's name under --out; with
                            --json the output is { summary, comparison }
  --nproc-per-node N        start the script through torchrun with N ranks on this machine (gloo/nccl as the
                            script chooses), the harness in every rank; per-rank figures and stragglers
  --nnodes M                with --rdzv-endpoint: the job spans M nodes (run this command on each)
  --node-rank R             this node's rank among them (default 0)
  --rdzv-endpoint HOST:PORT c10d rendezvous of a job over several nodes
  -h, --help                this help

Exit codes: 0 measured (whatever the verdict), 1 the run failed, 2 usage error, 130 stopped by you
(Ctrl+C, SIGTERM, SIGHUP: the summary keeps the verdict of the steps measured until then).
`;

/** 128 + SIGINT, as a shell reports an interrupted command. */
const STOPPED_EXIT_CODE = 130;

/** Signals that stop a run the way Ctrl+C does. */
const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

class ProfileUsageError extends Error {}

interface ParsedArgs {
  options: ProfileOptions;
  format: 'text' | 'json' | 'sarif';
  help: boolean;
  report: string | null;
  compareWith: string | null;
  /** Options given on the command line (they win over the compared run's configuration). */
  given: Set<keyof ProfileOptions>;
}

function intArg(flag: string, value: string | undefined, min: number): number {
  if (value === undefined || !/^\d+$/.test(value) || Number(value) < min) {
    throw new ProfileUsageError(`${flag} needs an integer >= ${min}`);
  }
  return Number(value);
}

function parseArgs(argv: readonly string[], cwd: string): ParsedArgs {
  const dash = argv.indexOf('--');
  const own = dash >= 0 ? argv.slice(0, dash) : [...argv];
  const scriptArgs = dash >= 0 ? argv.slice(dash + 1) : [];
  let script: string | undefined;
  let format: ParsedArgs['format'] = 'text';
  let help = false;
  let report: string | null = null;
  let compareWith: string | null = null;
  const o: Partial<ProfileOptions> = {};
  for (let i = 0; i < own.length; i++) {
    const arg = own[i] ?? '';
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      if (eq > 0) return arg.slice(eq + 1);
      const v = own[++i];
      if (v === undefined) throw new ProfileUsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '-h':
      case '--help':
        help = true;
        break;
      case '--mode': {
        const mode = value();
        if (!(PROFILE_MODES as readonly string[]).includes(mode)) throw new ProfileUsageError(`--mode must be one of ${PROFILE_MODES.join(', ')}`);
        o.mode = mode as ProfileMode;
        break;
      }
      case '--steps':
        o.steps = intArg(flag, value(), 1);
        break;
      case '--warmup':
        o.warmup = intArg(flag, value(), 0);
        break;
      case '--control':
        o.controlSteps = intArg(flag, value(), 0);
        break;
      case '--python':
        o.python = value();
        if (o.python.trim() === '') throw new ProfileUsageError('--python needs the path or name of an interpreter');
        break;
      case '--module':
        o.module = true;
        break;
      case '--out':
        o.outDir = value();
        break;
      case '--timeout': {
        const v = value();
        const sec = Number(v);
        if (!Number.isFinite(sec) || sec <= 0) throw new ProfileUsageError('--timeout needs a number of seconds > 0');
        o.timeoutMs = sec * 1000;
        break;
      }
      case '--sweep-budget': {
        const sec = Number(value());
        if (!Number.isFinite(sec) || sec <= 0) throw new ProfileUsageError('--sweep-budget needs a number of seconds > 0');
        o.sweepBudgetSeconds = sec;
        break;
      }
      case '--data-root':
        o.dataRoot = path.resolve(cwd, value());
        break;
      case '--no-data-probe':
        o.dataProbe = false;
        break;
      case '--metrics-port':
        o.metricsPort = intArg(flag, value(), 1);
        if (o.metricsPort > 65535) throw new ProfileUsageError('--metrics-port needs a port number from 1 to 65535');
        break;
      case '--metrics-host':
        o.metricsHost = value();
        if (o.metricsHost.trim() === '') throw new ProfileUsageError('--metrics-host needs an address (e.g. 127.0.0.1 or 0.0.0.0)');
        break;
      case '--metrics-linger': {
        const sec = Number(value());
        if (!Number.isFinite(sec) || sec < 0) throw new ProfileUsageError('--metrics-linger needs a number of seconds >= 0');
        o.metricsLingerSeconds = sec;
        break;
      }
      case '--nproc-per-node':
        o.distributed = { ...o.distributed, nprocPerNode: intArg(flag, value(), 1) };
        break;
      case '--nnodes':
        o.distributed = { nprocPerNode: 1, ...o.distributed, nnodes: intArg(flag, value(), 1) };
        break;
      case '--node-rank':
        o.distributed = { nprocPerNode: 1, ...o.distributed, nodeRank: intArg(flag, value(), 0) };
        break;
      case '--rdzv-endpoint': {
        const v = value();
        if (!/^[^:\s]+:\d+$/.test(v)) throw new ProfileUsageError('--rdzv-endpoint needs HOST:PORT');
        o.distributed = { nprocPerNode: 1, ...o.distributed, rdzvEndpoint: v };
        break;
      }
      case '--json':
        format = 'json';
        break;
      case '--report':
        report = path.resolve(cwd, value());
        break;
      case '--compare-with':
        compareWith = value();
        if (compareWith.trim() === '') throw new ProfileUsageError('--compare-with needs a run folder or a run\'s name');
        break;
      case '--format': {
        const f = value();
        if (f !== 'text' && f !== 'json' && f !== 'sarif') throw new ProfileUsageError('--format must be text, json or sarif');
        format = f;
        break;
      }
      default:
        if (arg.startsWith('-')) throw new ProfileUsageError(`unknown option '${arg}'`);
        if (script !== undefined) {
          throw new ProfileUsageError(`unexpected argument '${arg}' (script arguments go after --)`);
        }
        if (arg.trim() === '') throw new ProfileUsageError('the script to profile is an empty string');
        script = arg;
    }
  }
  if (script === undefined && !help && compareWith === null) throw new ProfileUsageError('missing the script to profile');
  if ((o.metricsHost !== undefined || o.metricsLingerSeconds !== undefined) && o.metricsPort === undefined) {
    throw new ProfileUsageError('--metrics-host and --metrics-linger go with --metrics-port');
  }
  if (o.distributed !== undefined) {
    if ((o.distributed.nnodes ?? 1) > 1 && o.distributed.rdzvEndpoint === undefined) {
      throw new ProfileUsageError('--nnodes above 1 needs --rdzv-endpoint HOST:PORT');
    }
    if (o.mode === 'sweep') throw new ProfileUsageError('--mode sweep is not available for torchrun jobs (--nproc-per-node)');
  }
  const given = new Set(Object.keys(o) as (keyof ProfileOptions)[]);
  if (script !== undefined) given.add('script');
  if (dash >= 0) given.add('args');
  return {
    options: {
      ...o,
      script: script ?? '',
      args: scriptArgs,
      cwd,
      outDir: o.outDir ?? path.join('.pipeline-doctor', 'runs'),
    },
    format,
    help,
    report,
    compareWith,
    given,
  };
}

const pct = (x: number | null | undefined): string => (x === null || x === undefined ? '-' : `${(x * 100).toFixed(1)}%`);
const num = (x: number | null | undefined, digits = 1): string => (x === null || x === undefined ? '-' : x.toFixed(digits));
function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows.map((r) => '  ' + r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ').trimEnd()).join('\n') + '\n';
}

export function renderText(s: RunSummary, cwd: string): string {
  const rel = (f: string): string => {
    if (!path.isAbsolute(f)) return f;
    const r = path.relative(cwd, f);
    return r === '' || r.startsWith('..') ? f : r;
  };
  let out = `Verdict: ${verdictSentence(s)}`;
  if (s.verdict !== 'failed') out += ` (median; p90 ${pct(s.inputShareP90)})`;
  out += `\n  run ended: ${s.ended.how === 'cancelled' ? 'stopped by you' : s.ended.how}${s.ended.exitCode !== null ? ` (exit ${s.ended.exitCode})` : ''}${s.ended.signal ? ` (${s.ended.signal})` : ''}\n`;
  if (s.stepTimeMs !== null) {
    out += `  step ${num(s.stepTimeMs.p50, 2)} ms (p90 ${num(s.stepTimeMs.p90, 2)}), data wait ${num(s.dataWaitMs?.p50, 2)} ms, ` +
      `${num(s.samplesPerSec)} samples/s over ${s.steps} measured steps\n`;
  }
  const control = controlSentence(s);
  if (control !== null) out += `  ${control}\n`;
  if (s.gpu !== null) {
    out += `  GPU ${s.gpu.name ?? ''}: ${num(s.gpu.utilizationMedianPct, 0)}% busy (median), memory peak ${num(s.gpu.memoryPeakMiB, 0)} of ${num(s.gpu.memoryTotalMiB, 0)} MiB\n`;
  }
  if (s.cpu !== null) {
    out += `  CPU ${s.cpu.cores} cores: ${num(s.cpu.utilizationMeanPct, 0)}% busy` +
      `${s.cpu.processMeanPct !== null ? `, this run ${num(s.cpu.processMeanPct, 0)}%` : ''}\n`;
  }
  if (s.ranks !== undefined && s.ranks.length > 0) {
    out += `\nRanks${s.stepEndSpreadMs != null ? ` (step ends ${num(s.stepEndSpreadMs, 2)} ms apart, median)` : ''}:\n`;
    // The GPU column only when some rank sampled its GPU: a CPU job has nothing to show there.
    const gpu = s.ranks.some((r) => r.gpuUtilizationPct != null);
    out += table([
      ['rank', 'local', 'ended', 'steps', 'step ms p50', 'data wait ms p50', 'input share', 'waits on ranks ms', 'samples/s',
        ...(gpu ? ['GPU util'] : [])],
      ...s.ranks.map((r) => [String(r.rank), String(r.localRank), r.ended ?? '-', String(r.steps), num(r.stepTimeMs?.p50, 2),
        num(r.dataWaitMs?.p50, 2), pct(r.inputShare), num(r.peerWaitMs, 2), num(r.samplesPerSec),
        ...(gpu ? [r.gpuUtilizationPct != null ? `${num(r.gpuUtilizationPct, 0)}%` : '-'] : [])]),
    ]);
  }
  if (s.loaders.length > 0) {
    out += '\nLoaders:\n';
    out += table([
      ['', 'location', 'workers', 'batch', 'pin', 'persistent', 'prefetch', 'dataset', 'role'],
      ...s.loaders.map((l) => [
        l.training ? '*' : '', `${rel(l.file)}:${l.line}`, String(l.num_workers ?? '-'), String(l.batch_size ?? '-'),
        String(l.pin_memory ?? '-'), String(l.persistent_workers ?? '-'), String(l.prefetch_factor ?? '-'),
        l.kind === 'optimizer'
          ? (l.batchSource ? `${l.batchSource}() (no DataLoader)` : 'no DataLoader')
          : `${l.datasetType ?? '-'}${l.datasetLength !== null ? ` (${l.datasetLength})` : ''}`, l.role,
      ]),
    ]);
  }
  if (s.sweep && s.sweep.length > 0) {
    const spread = (x: Spread | null, unit: string, digits: number): string =>
      (x === null ? '-' : `${x.p50.toFixed(digits)}${unit} (${x.p10.toFixed(digits)}-${x.p90.toFixed(digits)})`);
    out += '\nSweep: trial runs of the real training step (fastest mean first; speed-up = ratio of mean step times, as compare computes it):\n';
    out += table([
      ['setting', 'step ms mean', 'p50 (p10-p90)', 'speed-up (p10-p90)', 'runs', 'others CPU', ''],
      ...rank(s.sweep.filter((p) => p.error === null)).map((p) => [
        describeSetting(p), num(p.meanStepMs, 2), spread(p.stepMs, '', 2), p.current ? '-' : spread(p.speedup, 'x', 2), String(p.windows),
        p.otherCpuPct === null ? '-' : `${Math.round(p.otherCpuPct)}%`, p.current ? '(current)' : '',
      ]),
      ...s.sweep.filter((p) => p.error !== null).map((p) => [describeSetting(p), 'error', '', '', '', '', p.error ?? '']),
    ]);
  }
  if (s.sweepOutcome) {
    const o = s.sweepOutcome;
    out += `  ${o.sentence}\n  (${o.rounds} rounds, ${(o.spentMs / 1000).toFixed(0)} of ${(o.budgetMs / 1000).toFixed(0)} s budget)\n`;
  }
  if (s.ioProbe) {
    const io = s.ioProbe;
    out += `\nIO probe ${rel(io.root)}: ${io.files} files, median ${(io.medianFileBytes / 1024).toFixed(1)} KiB, ` +
      `${num(io.sequentialMBps)} MB/s sequential, ${num(io.smallFileReadsPerSec, 0)} small-file reads/s\n`;
  }
  if (s.findings.length > 0) {
    out += '\nFindings:\n';
    for (const f of s.findings) {
      out += `  ${rel(f.file)}:${f.range.start.line + 1}:${f.range.start.character + 1}: ${f.severity} ${f.code} ${f.message}\n`;
    }
  }
  for (const n of s.notes) out += `note: ${n}\n`;
  out += `\nRun folder: ${rel(s.folder)}\n`;
  return out;
}

export async function profileCommand(argv: string[], io: ProfileIO): Promise<number> {
  let parsed: ParsedArgs;
  try {
    parsed = parseArgs(argv, io.cwd);
  } catch (err) {
    if (err instanceof ProfileUsageError) {
      io.stderr(`pipeline-doctor profile: ${err.message} (see 'pipeline-doctor profile --help')\n`);
      return 2;
    }
    throw err;
  }
  if (parsed.help) {
    io.stdout(PROFILE_USAGE);
    return 0;
  }
  // Checked before the run, not found out after it.
  const outDir = path.resolve(io.cwd, parsed.options.outDir);
  const pathProblem = fs.existsSync(outDir) && !fs.statSync(outDir).isDirectory()
    ? `--out names a file (${parsed.options.outDir}); it takes the folder to keep run folders in`
    : parsed.report !== null && fs.existsSync(parsed.report) && fs.statSync(parsed.report).isDirectory()
      ? `--report names a folder (${parsed.report}); give the HTML file to write`
      : null;
  if (pathProblem !== null) {
    io.stderr(`pipeline-doctor profile: ${pathProblem} (see 'pipeline-doctor profile --help')\n`);
    return 2;
  }
  let before: { folder: string; run: MeasuredRun } | null = null;
  if (parsed.compareWith !== null) {
    const folder = resolveRunFolder(parsed.compareWith, io.cwd, outDir);
    if (folder === null) {
      io.stderr(`pipeline-doctor profile: --compare-with: no run '${parsed.compareWith}' (neither a folder with summary.json nor a run under ${runLabel(outDir, io.cwd)})\n`);
      return 2;
    }
    try {
      before = { folder, run: readMeasuredRun(folder) };
    } catch (err) {
      io.stderr(`pipeline-doctor profile: --compare-with: ${(err as Error).message}\n`);
      return 2;
    }
    const rerun = rerunConfiguration(before.run.summary);
    // The compared run's configuration, then what this command line says; outDir stays this command's, and
    // so does cwd, except for a module (`python -m`), which is found only from the folder it was run in.
    const merged: Record<string, unknown> = { ...parsed.options, outDir };
    const ownScript = parsed.given.has('script');
    for (const [key, value] of Object.entries(rerun.options)) {
      if (parsed.given.has(key as keyof ProfileOptions)) continue;
      if (key === 'module' && ownScript) continue;
      if (key === 'cwd' && (rerun.options.module !== true || ownScript)) continue;
      merged[key] = value;
    }
    parsed.options = merged as unknown as ProfileOptions;
    for (const n of rerun.notes) io.stderr(`pipeline-doctor profile: ${n}\n`);
  }
  // Ctrl+C, SIGTERM (`kill`, `timeout`, a cancelled CI job) and SIGHUP (the terminal closed) stop the
  // run alike (SIGTERM, then SIGKILL to its process group after a grace period) and still write and print
  // the summary. The harness leads a session of its own, so without this it would outlive the CLI. A
  // second stop signal kills the group at once, still writing what was measured; only a third ends the
  // CLI on the spot.
  const abort = new AbortController();
  const stopNow = new AbortController();
  let stops = 0;
  const onStopSignal = (signal: NodeJS.Signals): void => {
    stops++;
    if (stops === 1) {
      io.stderr(`pipeline-doctor profile: ${signal}: stopping the run and keeping what was measured (again: stop at once)\n`);
      abort.abort();
    } else if (stops === 2) {
      io.stderr(`pipeline-doctor profile: ${signal}: stopping at once; writing the summary of the steps measured\n`);
      stopNow.abort();
    } else {
      process.exit(STOPPED_EXIT_CODE);
    }
  };
  for (const s of STOP_SIGNALS) process.on(s, onStopSignal);
  let summary: RunSummary;
  try {
    summary = await profileScript(parsed.options, {
      signal: abort.signal,
      stopNow: stopNow.signal,
      onOutput: (_stream, text) => io.stderr(text),
      onMetricsServing: (url) => io.stderr(`Live metrics: ${url}\n`),
    });
  } catch (err) {
    // A busy port or an unknown address: said before the script starts, like a bad --out.
    if (!(err instanceof MetricsServerError)) throw err;
    io.stderr(`pipeline-doctor profile: ${err.message}\n`);
    return 2;
  } finally {
    for (const s of STOP_SIGNALS) process.removeListener(s, onStopSignal);
  }
  let comparison: ReturnType<typeof compareMeasuredRuns> | null = null;
  if (before !== null) {
    try {
      comparison = compareMeasuredRuns(before.run, readMeasuredRun(summary.folder));
    } catch (err) {
      io.stderr(`pipeline-doctor profile: no comparison: ${(err as Error).message}\n`);
    }
  }
  if (parsed.format === 'json') {
    io.stdout(JSON.stringify(comparison === null ? summary : { summary, comparison }, null, 2) + '\n');
  } else if (parsed.format === 'sarif') {
    io.stdout(JSON.stringify(toSarif(summary.findings, RUNTIME_RULES, io.cwd, io.version ?? '0.0.0'), null, 2) + '\n');
    if (summary.verdict === 'failed') io.stderr(`pipeline-doctor profile: ${summary.error ?? 'run failed'}\n`);
  } else {
    io.stdout(renderText(summary, io.cwd));
    if (comparison !== null && before !== null) {
      io.stdout(`\nCompared with the earlier run:\n${renderComparison(comparison, { before: runLabel(before.folder, io.cwd), after: runLabel(summary.folder, io.cwd) })}`);
    }
  }
  if (parsed.report !== null) {
    // Loaded lazily: the report pulls in the static analyzers (for the script's static findings).
    const { writeReport } = await import('../report/export');
    try {
      const written = await writeReport(summary.folder, parsed.report, before !== null ? { compareWith: before.folder } : {});
      for (const p of written.problems) io.stderr(`pipeline-doctor profile: report: ${p}\n`);
      io.stderr(`Report: ${path.relative(io.cwd, written.file) || written.file}\n`);
    } catch (err) {
      io.stderr(`pipeline-doctor profile: could not write the report: ${(err as Error).message}\n`);
      return 1;
    }
  }
  // Stopped by the user is not a failure, nor a finished run: the shell's convention for an interrupt.
  if (summary.ended.how === 'cancelled') return STOPPED_EXIT_CODE;
  return summary.verdict === 'failed' ? 1 : 0;
}
