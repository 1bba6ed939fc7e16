// What every CLI command gets from the entry point, so commands are testable without a process.
export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  cwd: string;
  version: string;
  color: boolean;
}

/** Bad arguments: printed with the usage hint, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
