// A lint worker thread (started by parallel-analyze.ts): analyses the batches of files the main thread
// sends and answers each with the results. A bundle of its own (dist/lint-worker.js) holding only the
// analyzer, so a worker starts without loading the CLI's other commands.
import { parentPort, workerData } from 'node:worker_threads';
import type { AnalyzeOptions } from '../analyzers';
import { analyzeBatch, type LintBatch, type LintBatchDone } from './lint-batch';

const options = workerData as AnalyzeOptions;
parentPort!.on('message', (batch: LintBatch) => {
  void analyzeBatch(batch.files, options).then((results) => parentPort!.postMessage({ results } satisfies LintBatchDone));
});
