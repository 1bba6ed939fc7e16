// A lint child process (forked by parallel-analyze.ts): analyses the batches of files its parent sends
// and answers each with the results, until the parent disconnects. A bundle of its own (dist/lint-worker.js)
// holding only the analyzer, so a child starts without loading the profiler and report code.
import { analyzeBatch, type LintBatch } from './lint-batch';

const options = JSON.parse(process.argv[2] ?? '{}');
process.on('message', (batch: LintBatch) => {
  void analyzeBatch(batch.files, options).then((results) => {
    // The parent may be gone (interrupted): then there is no one to answer, and nothing to do but exit.
    if (process.connected) process.send!({ results }, undefined, undefined, () => undefined);
  });
});
process.on('disconnect', () => process.exit(0));
