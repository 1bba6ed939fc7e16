// Public surface of the runner core (Node only; the editor and the CLI are its adapters).
export { profileScript } from './profile-script';
export { readRunFolder } from './run-folder';
export type { RunData } from './run-folder';
export { resolveInterpreter, findExecutable } from './interpreter';
export type { ResolvedInterpreter } from './interpreter';
export { locateHarness } from './harness-locator';
export { DEFAULTS as PROFILE_DEFAULTS } from './options';
export type { ProfileHooks, ProfileOptions } from './options';
export { HarnessNotFoundError, InterpreterNotFoundError, MetricsServerError, RunFolderError } from './errors';
export { RUNTIME_CODES, RUNTIME_RULES } from './runtime-findings';
export { liveGroupMembers } from './process-group';
