// Whole-tree lint on every core: the main thread and one worker thread per other core pull batches of
// files from one queue (load-balanced), each with its own parser. Threads rather than processes: V8
// compiles the tree-sitter wasm once per process and shares it between threads, and a thread starts
// without booting Node (100k-line tree on 2 cores: 0.08 s sooner). Small runs stay on the main thread,
// where starting workers costs more than it saves.
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { AnalyzeOptions } from '../analyzers';
import { analyzeBatch, analyzeForLint, type FileResult, type LintBatch, type LintBatchDone } from './lint-batch';

const FILES_PER_THREAD = 40;
/** Files per message: large enough to amortise messaging. */
const BATCH = 16;
/**
 * V8 optimises a function once it has run a small budget of bytecode. A lint thread runs the same rule
 * code over thousands of files, and at the default budget about a quarter of its CPU time went to
 * compiling in background threads, which on a 2-core machine take the other thread's core. A larger
 * budget optimises fewer, hotter functions (100k-line tree on 2 cores: median 2.09 s -> 1.85 s). It is
 * a plain number V8 reads whenever it sets a function's budget, so setting it before the analysis starts
 * is safe.
 */
const OPTIMISATION_BUDGET_FLAG = '--interrupt-budget=2000000';

/** Analyses every file, on every core when there are enough files to pay for the worker threads. */
export async function analyzeFiles(files: readonly string[], options: AnalyzeOptions): Promise<FileResult[]> {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const threads = Math.min(cores, Math.floor(files.length / FILES_PER_THREAD));
  if (threads < 2) return analyzeBatch(files, options);
  const results: FileResult[] = new Array(files.length);
  v8.setFlagsFromString(OPTIMISATION_BUDGET_FLAG);
  let next = 0;
  // Batches shrink towards the end, so every thread runs out of files at about the same time.
  const take = (): number[] => {
    const size = Math.max(1, Math.min(BATCH, Math.floor((files.length - next) / (2 * threads))));
    const batch: number[] = [];
    while (batch.length < size && next < files.length) batch.push(next++);
    return batch;
  };
  const here = async () => {
    for (let batch = take(); batch.length > 0; batch = take()) {
      for (const i of batch) {
        results[i] = await analyzeForLint(files[i], options);
        // Let the workers' messages in between files, so they are never left waiting for a batch.
        await new Promise(setImmediate);
      }
    }
  };
  const started: Worker[] = [];
  const work = () => new Promise<void>((resolve, reject) => {
    const worker = new Worker(path.join(__dirname, 'lint-worker.js'), { workerData: options });
    started.push(worker);
    let batch: number[] = [];
    const feed = () => {
      batch = take();
      if (batch.length === 0) {
        resolve();
      } else {
        worker.postMessage({ files: batch.map((i) => files[i]) } satisfies LintBatch);
      }
    };
    worker.on('message', (done: LintBatchDone) => {
      done.results.forEach((r, k) => (results[batch[k]] = r));
      feed();
    });
    worker.on('error', reject);
    worker.on('exit', (code) => {
      if (batch.some((i) => results[i] === undefined)) reject(new Error(`a lint worker ended early (exit code ${code})`));
    });
    feed();
  });
  try {
    await Promise.all([here(), ...Array.from({ length: threads - 1 }, work)]);
  } finally {
    // After a failure, nothing more is handed out, and no worker is left listening (it would keep the
    // process alive).
    next = files.length;
    for (const worker of started) void worker.terminate();
  }
  return results;
}
