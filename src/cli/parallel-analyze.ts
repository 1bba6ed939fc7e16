// Whole-tree lint on every core: worker threads pull files from one queue (load-balanced), each with
// its own parser. Small runs stay in-process, where starting workers would cost more than it saves.
import os from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { analyzeFile, type AnalysisResult, type AnalyzeOptions } from '../analyzers';

type FileResult = Omit<AnalysisResult, 'tree'>;
interface Job { index: number; file: string }
interface Done { index: number; result?: FileResult; error?: string }

const WORKER_ROLE = 'pipeline-doctor-lint-worker';
const FILES_PER_WORKER = 40;

async function analyzeOne(file: string, options: AnalyzeOptions): Promise<FileResult> {
  const { findings, notices, tree } = await analyzeFile(file, options);
  tree?.delete();
  return { findings, notices };
}

export async function analyzeFiles(files: readonly string[], options: AnalyzeOptions, entry: string): Promise<FileResult[]> {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const workers = Math.min(cores, Math.floor(files.length / FILES_PER_WORKER));
  if (workers < 2) {
    const out: FileResult[] = [];
    for (const f of files) out.push(await analyzeOne(f, options));
    return out;
  }
  const results: FileResult[] = new Array(files.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, () => new Promise<void>((resolve, reject) => {
      const worker = new Worker(entry, { workerData: { role: WORKER_ROLE, options } });
      const feed = () => {
        if (next >= files.length) {
          void worker.terminate();
          resolve();
          return;
        }
        const index = next++;
        worker.postMessage({ index, file: files[index] } satisfies Job);
      };
      worker.on('message', (done: Done) => {
        if (done.error !== undefined) results[done.index] = { findings: [], notices: [{ file: files[done.index], kind: 'rule-failed', level: 'error', message: `analysis failed: ${done.error}` }] };
        else results[done.index] = done.result!;
        feed();
      });
      worker.on('error', reject);
      feed();
    })),
  );
  return results;
}

/** Runs the worker side when this module is loaded inside a lint worker thread. */
export function runLintWorkerIfNeeded(): boolean {
  if (isMainThread || (workerData as { role?: string } | null)?.role !== WORKER_ROLE) return false;
  const options = (workerData as { options: AnalyzeOptions }).options;
  parentPort!.on('message', (job: Job) => {
    analyzeOne(job.file, options).then(
      (result) => parentPort!.postMessage({ index: job.index, result } satisfies Done),
      (e: unknown) => parentPort!.postMessage({ index: job.index, error: (e as Error).message } satisfies Done),
    );
  });
  return true;
}
