// What every CLI command gets from the entry point, so commands are testable without a process.
export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  cwd: string;
  version: string;
  color: boolean;
}

/** Bad arguments: printed as one line with the usage hint, exit code 2. */
export class UsageError extends Error {
  /**
   * What isUsageError() checks. Not the class: profile and report are bundles of their own, each with
   * its own copy of this class, and the minified bundles rename it (so neither instanceof nor the
   * class's name identifies it across bundles); a property name survives both.
   */
  readonly usageError = true;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function isUsageError(e: unknown): e is UsageError {
  return typeof e === 'object' && e !== null && (e as { usageError?: unknown }).usageError === true;
}

/**
 * A failure of the environment the user can act on (a path that is a folder, a missing file, no
 * permission): Node's system errors carry `code` and `syscall`. Shown as its message, without a stack.
 */
export function isSystemError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && typeof (e as NodeJS.ErrnoException).syscall === 'string';
}
