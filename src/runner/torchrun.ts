// The command line that starts a job through torchrun itself (`python -m torch.distributed.run`), with the
// harness as the script every rank runs (docs/profiling.md, "torchrun jobs").

export interface DistributedOptions {
  nprocPerNode: number;
  nnodes?: number;
  nodeRank?: number;
  /** HOST:PORT of the c10d rendezvous; without it a one-node job uses torchrun's --standalone. */
  rdzvEndpoint?: string;
}

/**
 * How often torchrun's agent looks at its ranks (its default is 5 s): a job's verdict waits for torchrun to
 * notice that its ranks have exited, up to this long after the last one ended (`npm run bench:runner`).
 * Its check is one poll of each rank's process.
 */
const MONITOR_INTERVAL_S = 0.5;

/**
 * Interpreter arguments for `python <these>`. Flags use the underscore spelling, which every torchrun
 * accepts (torch 1.13 knows no other). `--redirects 1 --tee 1` (each rank's stdout to a log file in
 * `logDir` and to the console; stderr straight through) is passed on purpose: torch 1.13 under Python
 * 3.11 maps the defaults `0` (and `3`) to None in `Std.from_str` and the launcher dies with
 * "'NoneType' object has no attribute 'get'".
 */
export function torchrunArgv(d: DistributedOptions, logDir: string, harness: string, harnessArgs: string[]): string[] {
  const argv = ['-m', 'torch.distributed.run', '--nproc_per_node', String(d.nprocPerNode)];
  const nnodes = d.nnodes ?? 1;
  if (d.rdzvEndpoint !== undefined) {
    argv.push('--nnodes', String(nnodes), '--node_rank', String(d.nodeRank ?? 0), '--rdzv_backend', 'c10d',
      '--rdzv_endpoint', d.rdzvEndpoint, '--rdzv_id', 'pipeline-doctor');
  } else if (nnodes === 1) {
    argv.push('--standalone');
  } else {
    throw new Error('a job over several nodes needs --rdzv-endpoint HOST:PORT');
  }
  argv.push('--max_restarts', '0', '--monitor_interval', String(MONITOR_INTERVAL_S), '--redirects', '1', '--tee', '1', '--log_dir', logDir,
    harness, ...harnessArgs);
  return argv;
}
