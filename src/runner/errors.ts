// Typed failures of the runner core. Adapters (CLI, editor) turn them into one message for the user;
// profileScript() itself converts the expected ones into a 'failed' summary instead of throwing.

export class InterpreterNotFoundError extends Error {
  override readonly name = 'InterpreterNotFoundError';
  constructor(readonly tried: readonly string[], detail: string) {
    super(`No usable Python interpreter: ${detail} (tried: ${tried.join(', ') || 'nothing'})`);
  }
}

export class HarnessNotFoundError extends Error {
  override readonly name = 'HarnessNotFoundError';
  constructor(readonly searched: readonly string[]) {
    super(`The profiling harness (pd_harness.py) is missing; looked in: ${searched.join(', ')}`);
  }
}

export class RunFolderError extends Error {
  override readonly name = 'RunFolderError';
  constructor(readonly folder: string, detail: string) {
    super(`${folder}: ${detail}`);
  }
}

/** The live metrics endpoint could not listen (port in use, no such address): reported before the script starts. */
export class MetricsServerError extends Error {
  override readonly name = 'MetricsServerError';
  constructor(detail: string) {
    super(`cannot serve live metrics: ${detail}`);
  }
}
