// Every message between the extension host and the dashboard webview, typed, with its direction, and
// the hand-written guards both sides run on what they receive. The webview is treated as untrusted
// input (it renders data from user scripts), so the host never acts on a message that fails
// `isWebviewToHostMessage`, and the webview ignores anything that fails `isHostToWebviewMessage`.
// Run data travels as Arrow IPC bytes (Uint8Array, structured-cloned by postMessage), never per-row JSON.
//
// Adding a message: add its interface, put it in the union of its direction, add a `case` to that
// direction's guard, then handle it on the receiving side (the compiler's exhaustiveness checks point there).
import type { Finding } from './findings';
import type { ProfileMode, RunSummary, Verdict } from './profile';
import { isRunSummary, PROFILE_MODES, VERDICTS } from './profile';
import type { RunComparison } from './run-comparison';
import { isRunComparison } from './run-comparison';

// ---------------------------------------------------------------------------------------------------
// Payloads
// ---------------------------------------------------------------------------------------------------

/** One run in the history list; `id` is the run folder's name, resolved to a path only by the host. */
export interface RunListEntry {
  id: string;
  startedAt: string;
  /** Script path as recorded by the run (absolute). */
  script: string;
  /** What the user calls the run: the script relative to its workspace (or run directory). */
  name: string;
  mode: ProfileMode;
  verdict: Verdict;
  inputShare: number | null;
  samplesPerSec: number | null;
  stepMsP50: number | null;
}

/** The run folder's Arrow IPC stream files, as read from disk (null when the file is absent). */
export interface RunTableBytes {
  steps: Uint8Array | null;
  system: Uint8Array | null;
  gpu: Uint8Array | null;
  loaders: Uint8Array | null;
}

/** Everything the dashboard shows for one run. */
export interface DashboardRun {
  id: string;
  summary: RunSummary;
  /**
   * Runtime findings from the summary followed by the static findings of the profiled script. Buttons in
   * the webview refer to a finding by its index here, so the host acts only on findings it produced.
   */
  findings: Finding[];
  tables: RunTableBytes;
  /** What the user calls the run (see RunListEntry.name). */
  name: string;
  /** The script changed after this run: its current static findings are not this run's, so none are shown. */
  scriptEdited?: boolean;
}

/** Survives hide/show through the webview's getState/setState. */
export interface DashboardViewState {
  selectedRunId: string | null;
  compare: { baseId: string; otherId: string } | null;
  /** Where the page was scrolled on the selected run: a hidden webview is reloaded when shown again. */
  scrollY?: number;
}

// ---------------------------------------------------------------------------------------------------
// Host -> webview
// ---------------------------------------------------------------------------------------------------

export interface RunsMessage {
  type: 'runs';
  runs: RunListEntry[];
  /** A run the host wants shown now (e.g. the one just profiled); null leaves the choice to the webview. */
  focus: string | null;
}

export interface RunMessage {
  type: 'run';
  run: DashboardRun;
}

export interface ComparisonMessage {
  type: 'comparison';
  base: RunSummary & { id: string };
  other: RunSummary & { id: string };
  /** From both runs' measured steps (src/shared/run-comparison.ts); absent when a run's steps were unreadable. */
  measured?: RunComparison;
}

export interface ActionResultMessage {
  type: 'actionResult';
  action: 'reveal' | 'applyFix' | 'showDocs' | 'exportReport';
  ok: boolean;
  message: string;
}

export interface ErrorMessage {
  type: 'error';
  message: string;
}

export type HostToWebviewMessage = RunsMessage | RunMessage | ComparisonMessage | ActionResultMessage | ErrorMessage;

// ---------------------------------------------------------------------------------------------------
// Webview -> host
// ---------------------------------------------------------------------------------------------------

/** Handshake: the webview's script has loaded and listens; the host answers with `runs`. */
export interface ReadyMessage {
  type: 'ready';
}

export interface OpenRunMessage {
  type: 'openRun';
  runId: string;
}

export interface CompareRunsMessage {
  type: 'compareRuns';
  baseId: string;
  otherId: string;
}

export interface RevealFindingMessage {
  type: 'revealFinding';
  runId: string;
  findingIndex: number;
}

export interface RevealLoaderMessage {
  type: 'revealLoader';
  runId: string;
  loaderId: number;
}

export interface ApplyFixMessage {
  type: 'applyFix';
  runId: string;
  findingIndex: number;
  fixIndex: number;
}

export interface ShowDocsMessage {
  type: 'showDocs';
  code: string;
}

export interface ExportReportMessage {
  type: 'exportReport';
  runId: string;
}

export interface RefreshRunsMessage {
  type: 'refreshRuns';
}

export type WebviewToHostMessage =
  | ReadyMessage
  | OpenRunMessage
  | CompareRunsMessage
  | RevealFindingMessage
  | RevealLoaderMessage
  | ApplyFixMessage
  | ShowDocsMessage
  | ExportReportMessage
  | RefreshRunsMessage;

// ---------------------------------------------------------------------------------------------------
// Guards
// ---------------------------------------------------------------------------------------------------

type Obj = Record<string, unknown>;

function isObj(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Exactly these keys: a message with extra fields is not one we sent or expect, so it is rejected. */
function hasOnlyKeys(o: Obj, keys: readonly string[]): boolean {
  const own = Object.keys(o);
  return own.length === keys.length && own.every((k) => keys.includes(k));
}

/** Run ids are folder names produced by the runner; anything path-like is refused before the host looks it up. */
export const RUN_ID_PATTERN = /^[\w][\w.-]{0,199}$/;
export function isRunId(x: unknown): x is string {
  return typeof x === 'string' && RUN_ID_PATTERN.test(x) && !x.includes('..');
}

export const RULE_CODE_PATTERN = /^[A-Z]{2,8}[0-9]{3}$/;

function isIndex(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0 && x < 1_000_000;
}

function isNumOrNull(x: unknown): boolean {
  return x === null || (typeof x === 'number' && Number.isFinite(x));
}

function oneOf<T extends string>(values: readonly T[], x: unknown): x is T {
  return typeof x === 'string' && (values as readonly string[]).includes(x);
}

/** Validates every message from the webview; anything else (extra keys, wrong types, unknown type) is false. */
export function isWebviewToHostMessage(x: unknown): x is WebviewToHostMessage {
  if (!isObj(x) || typeof x.type !== 'string') return false;
  switch (x.type) {
    case 'ready':
    case 'refreshRuns':
      return hasOnlyKeys(x, ['type']);
    case 'openRun':
    case 'exportReport':
      return hasOnlyKeys(x, ['type', 'runId']) && isRunId(x.runId);
    case 'compareRuns':
      return hasOnlyKeys(x, ['type', 'baseId', 'otherId']) && isRunId(x.baseId) && isRunId(x.otherId);
    case 'revealFinding':
      return hasOnlyKeys(x, ['type', 'runId', 'findingIndex']) && isRunId(x.runId) && isIndex(x.findingIndex);
    case 'revealLoader':
      return hasOnlyKeys(x, ['type', 'runId', 'loaderId']) && isRunId(x.runId) && isIndex(x.loaderId);
    case 'applyFix':
      return hasOnlyKeys(x, ['type', 'runId', 'findingIndex', 'fixIndex']) && isRunId(x.runId) && isIndex(x.findingIndex) && isIndex(x.fixIndex);
    case 'showDocs':
      return hasOnlyKeys(x, ['type', 'code']) && typeof x.code === 'string' && RULE_CODE_PATTERN.test(x.code);
    default:
      return false;
  }
}

export function isRunListEntry(x: unknown): x is RunListEntry {
  return isObj(x) && isRunId(x.id) && typeof x.startedAt === 'string' && typeof x.script === 'string' && typeof x.name === 'string' &&
    oneOf(PROFILE_MODES, x.mode) && oneOf(VERDICTS, x.verdict) && isNumOrNull(x.inputShare) &&
    isNumOrNull(x.samplesPerSec) && isNumOrNull(x.stepMsP50);
}

function isBytesOrNull(x: unknown): boolean {
  return x === null || x instanceof Uint8Array;
}

function isFinding(x: unknown): x is Finding {
  if (!isObj(x) || typeof x.code !== 'string' || typeof x.message !== 'string' || typeof x.file !== 'string') return false;
  if (!oneOf(['error', 'warning', 'info', 'hint'] as const, x.severity) || !oneOf(['static', 'runtime'] as const, x.origin)) return false;
  const r = x.range;
  if (!isObj(r) || !isObj(r.start) || !isObj(r.end) || typeof r.start.line !== 'number' || typeof r.start.character !== 'number') return false;
  return Array.isArray(x.fixes) && x.fixes.every((f) => isObj(f) && typeof f.title === 'string' && typeof f.safe === 'boolean' && Array.isArray(f.edits)) &&
    Array.isArray(x.related) && (x.figures === undefined || isObj(x.figures));
}

export function isDashboardRun(x: unknown): x is DashboardRun {
  if (!isObj(x) || !isRunId(x.id) || !isRunSummary(x.summary) || typeof x.name !== 'string') return false;
  if (x.scriptEdited !== undefined && typeof x.scriptEdited !== 'boolean') return false;
  const t = x.tables;
  return Array.isArray(x.findings) && x.findings.every(isFinding) && isObj(t) &&
    isBytesOrNull(t.steps) && isBytesOrNull(t.system) && isBytesOrNull(t.gpu) && isBytesOrNull(t.loaders);
}

/** The webview's own check of what it receives: defence in depth, and it keeps the renderer's types honest. */
export function isHostToWebviewMessage(x: unknown): x is HostToWebviewMessage {
  if (!isObj(x) || typeof x.type !== 'string') return false;
  switch (x.type) {
    case 'runs':
      return Array.isArray(x.runs) && x.runs.every(isRunListEntry) && (x.focus === null || isRunId(x.focus));
    case 'run':
      return isDashboardRun(x.run);
    case 'comparison':
      return isObj(x.base) && isObj(x.other) && isRunId(x.base.id) && isRunId(x.other.id) && isRunSummary(x.base) && isRunSummary(x.other) &&
        (x.measured === undefined || isRunComparison(x.measured));
    case 'actionResult':
      return oneOf(['reveal', 'applyFix', 'showDocs', 'exportReport'] as const, x.action) && typeof x.ok === 'boolean' && typeof x.message === 'string';
    case 'error':
      return typeof x.message === 'string';
    default:
      return false;
  }
}

export function isDashboardViewState(x: unknown): x is DashboardViewState {
  if (!isObj(x)) return false;
  if (!(x.selectedRunId === null || isRunId(x.selectedRunId))) return false;
  if (x.scrollY !== undefined && !(typeof x.scrollY === 'number' && Number.isFinite(x.scrollY) && x.scrollY >= 0)) return false;
  return x.compare === null || (isObj(x.compare) && isRunId(x.compare.baseId) && isRunId(x.compare.otherId));
}

/** Typed handlers, one per webview message; the router below calls exactly one of them per valid message. */
export type WebviewMessageHandlers = {
  [K in WebviewToHostMessage['type']]: (message: Extract<WebviewToHostMessage, { type: K }>) => unknown;
};

/**
 * Routes one raw message from the webview. Invalid messages are reported through `onRejected` (which
 * the host logs) and never reach a handler. Returns whether the message was accepted.
 */
export function routeWebviewMessage(raw: unknown, handlers: WebviewMessageHandlers, onRejected: (raw: unknown) => void): boolean {
  if (!isWebviewToHostMessage(raw)) {
    onRejected(raw);
    return false;
  }
  // The union is narrowed per handler by the mapped type; TypeScript cannot correlate the two here.
  const handler = handlers[raw.type] as (m: WebviewToHostMessage) => unknown;
  handler(raw);
  return true;
}

/** A short description of a rejected message for the log, without echoing untrusted content at length. */
export function describeRejected(raw: unknown): string {
  if (!isObj(raw)) return `a ${raw === null ? 'null' : Array.isArray(raw) ? 'array' : typeof raw}`;
  const type = typeof raw.type === 'string' ? raw.type.slice(0, 40) : typeof raw.type;
  return `type=${JSON.stringify(type)} keys=${Object.keys(raw).slice(0, 8).join(',')}`;
}

// ---------------------------------------------------------------------------------------------------
// The exported report: the same app, fed from data embedded in the page instead of messages
// ---------------------------------------------------------------------------------------------------

/** A DashboardRun with its Arrow bytes as base64, so it can sit in a JSON script element. */
export interface EmbeddedRun extends Omit<DashboardRun, 'tables'> {
  tables: { [K in keyof RunTableBytes]: string | null };
}

export interface ReportPayload {
  kind: 'pipeline-doctor-report';
  generatedAt: string;
  run: EmbeddedRun;
  /** An optional earlier run to compare with ("before" = base). */
  comparison: ComparisonMessage | null;
}

export function isReportPayload(x: unknown): x is ReportPayload {
  if (!isObj(x) || x.kind !== 'pipeline-doctor-report' || typeof x.generatedAt !== 'string' || !isObj(x.run)) return false;
  const t = x.run.tables;
  const b64 = (v: unknown): boolean => v === null || (typeof v === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(v));
  const runOk = isRunId(x.run.id) && isRunSummary(x.run.summary) && Array.isArray(x.run.findings) && x.run.findings.every(isFinding) &&
    isObj(t) && b64(t.steps) && b64(t.system) && b64(t.gpu) && b64(t.loaders);
  return runOk && (x.comparison === null || isHostToWebviewMessage(x.comparison));
}
