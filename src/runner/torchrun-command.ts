// A torchrun command line as the user wrote it (a VS Code launch configuration of `torch.distributed.run`, a
// `torchrun …` task) read into the runner's options, so Profile Pipeline starts the same job through the
// runner's own torchrun launch with the harness in every rank (docs/profiling.md, "torchrun jobs"). Options
// the launch sets itself (restarts, redirects, log folder) are dropped with a note; options the runner
// cannot honour are refused by name rather than silently changed.
import type { DistributedOptions } from './torchrun';

export interface TorchrunCommand {
  distributed: DistributedOptions;
  /** The training script as written (relative to the job's cwd), or a module name when `module`. */
  script: string;
  module: boolean;
  args: string[];
  /** What was dropped and why, for the log. */
  notes: string[];
}

export class TorchrunCommandError extends Error {}

/** Set by the runner's launch on every run (src/runner/torchrun.ts): the user's values are dropped. */
const SET_BY_RUNNER = new Set(['max-restarts', 'monitor-interval', 'redirects', 'tee', 'log-dir', 'rdzv-id']);
/** torchrun options with no bearing on what a profile measures. */
const HARMLESS = new Set(['start-method', 'role', 'local-addr', 'rdzv-conf']);
const FLAGS = new Set(['standalone', 'module', 'no-python', 'run-path']);

function whole(option: string, value: string, min: number): number {
  if (!/^\d+$/.test(value) || Number(value) < min) {
    throw new TorchrunCommandError(`torchrun ${option} ${value}: Profile Pipeline needs a whole number >= ${min} here`);
  }
  return Number(value);
}

/**
 * The arguments after `torchrun` (or after `python -m torch.distributed.run`): torchrun's options in
 * either spelling (`--nproc-per-node 2`, `--nproc_per_node=2`), then the script and its arguments.
 */
export function parseTorchrunArgs(argv: readonly string[]): TorchrunCommand {
  const notes: string[] = [];
  let nprocPerNode = 1;
  let nnodes: number | undefined;
  let nodeRank: number | undefined;
  let rdzvEndpoint: string | undefined;
  let standalone = false;
  let module = false;
  let staticRendezvous = false;
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      i++;
      break;
    }
    if (arg === '-m') {
      module = true;
      continue;
    }
    if (!arg.startsWith('--')) break;
    const eq = arg.indexOf('=');
    const written = eq > 0 ? arg.slice(0, eq) : arg;
    const name = written.slice(2).replace(/_/g, '-');
    if (FLAGS.has(name)) {
      if (eq > 0) throw new TorchrunCommandError(`torchrun ${written} takes no value`);
      if (name === 'no-python' || name === 'run-path') {
        throw new TorchrunCommandError(`torchrun ${written} is not supported by Profile Pipeline: each rank must run a Python script or module under the harness`);
      }
      if (name === 'standalone') standalone = true;
      else module = true;
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new TorchrunCommandError(`torchrun ${written} needs a value`);
    switch (name) {
      case 'nproc-per-node':
        if (!/^\d+$/.test(value)) {
          throw new TorchrunCommandError(`torchrun ${written} ${value}: Profile Pipeline needs the number of ranks per node (e.g. 2), not '${value}'`);
        }
        nprocPerNode = whole(written, value, 1);
        break;
      case 'nnodes':
        if (value.includes(':')) {
          throw new TorchrunCommandError(`torchrun ${written} ${value}: elastic node ranges are not supported by Profile Pipeline; give one number of nodes`);
        }
        nnodes = whole(written, value, 1);
        break;
      case 'node-rank':
        nodeRank = whole(written, value, 0);
        break;
      case 'rdzv-endpoint':
        if (value.trim() === '') throw new TorchrunCommandError(`torchrun ${written} needs HOST:PORT`);
        rdzvEndpoint = value;
        break;
      case 'rdzv-backend':
        if (value !== 'c10d') {
          throw new TorchrunCommandError(`torchrun ${written} ${value}: Profile Pipeline starts jobs with the c10d rendezvous only`);
        }
        break;
      case 'master-addr':
      case 'master-port':
        staticRendezvous = true;
        break;
      default:
        if (SET_BY_RUNNER.has(name)) notes.push(`torchrun ${written} ${value} dropped: the profiler sets it (docs/profiling.md, "torchrun jobs")`);
        else if (HARMLESS.has(name)) notes.push(`torchrun ${written} ${value} dropped: the profiler starts ranks with torchrun's default`);
        else throw new TorchrunCommandError(`torchrun option ${written} is not supported by Profile Pipeline`);
    }
  }
  const script = argv[i];
  if (script === undefined || script === '') throw new TorchrunCommandError('the torchrun command names no training script');
  if (standalone) {
    // torchrun's --standalone replaces any rendezvous given with a local one; so does the runner's launch.
    if ((nnodes ?? 1) > 1) throw new TorchrunCommandError('torchrun --standalone runs one node: it cannot go with --nnodes above 1');
    rdzvEndpoint = undefined;
  }
  if ((nnodes ?? 1) > 1 && rdzvEndpoint === undefined) {
    throw new TorchrunCommandError(staticRendezvous
      ? 'a job over several nodes with --master-addr/--master-port (static rendezvous) is not supported by Profile Pipeline: use --rdzv-endpoint HOST:PORT (c10d)'
      : 'a job over several nodes needs --rdzv-endpoint HOST:PORT');
  }
  if (staticRendezvous && rdzvEndpoint === undefined) notes.push('torchrun --master-addr/--master-port dropped: one node runs standalone');
  const distributed: DistributedOptions = {
    nprocPerNode,
    ...(nnodes !== undefined ? { nnodes } : {}),
    ...(nodeRank !== undefined ? { nodeRank } : {}),
    ...(rdzvEndpoint !== undefined ? { rdzvEndpoint } : {}),
  };
  return { distributed, script, module, args: argv.slice(i + 1), notes };
}

/**
 * A command line's words after the launcher when it starts torchrun (`torchrun …`, `/venv/bin/torchrun …`,
 * `python -m torch.distributed.run …`), with the interpreter or torchrun path it names; null otherwise.
 */
export function torchrunInvocation(words: readonly string[]): { launcher: string; kind: 'torchrun' | 'python'; rest: string[] } | null {
  const first = words[0];
  if (first === undefined) return null;
  const base = first.split(/[\\/]/).pop() ?? first;
  if (base === 'torchrun') return { launcher: first, kind: 'torchrun', rest: words.slice(1) };
  if (/^python(\d+(\.\d+)?)?$/.test(base) && words[1] === '-m' && words[2] === 'torch.distributed.run') {
    return { launcher: first, kind: 'python', rest: words.slice(3) };
  }
  return null;
}
