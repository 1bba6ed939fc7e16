// Spawns the harness (argv array, never a shell) in its own process group with the event channel on
// fd 3, and ends it on cancel or timeout: SIGTERM to the harness first, so it can unwind the script and
// flush what it measured, then SIGKILL to the whole group after a grace period. Whatever way the harness
// ends, the group is SIGKILLed once the leader has exited so no DataLoader worker outlives the run.
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { EscapeeTracker, newRunToken, RUN_TOKEN_VARIABLE } from './escapees';
import type { Escapee } from './escapees';
import { signalGroup } from './process-group';

const CLOSE_WAIT_MS = 3000;
/** How often /proc is walked for processes that left the run's group (src/runner/escapees.ts). */
const ESCAPEE_POLL_MS = 500;

export type EndReason = 'timeout' | 'cancelled' | null;

export interface HarnessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Why the orchestrator ended it, when it did. */
  reason: EndReason;
  spawnError: Error | null;
  /** Processes that had left the run's process group (setsid) and were still alive when it ended: killed. */
  escapees: Escapee[];
}

export interface HarnessProcess {
  pid: number | undefined;
  events: Readable;
  stdout: Readable;
  stderr: Readable;
  /** Resolves after exit, group cleanup and all pipes closing. */
  done: Promise<HarnessExit>;
}

export interface SpawnHarnessOptions {
  python: string;
  argv: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Ends the run at once (SIGKILL to its group, no grace): a second Ctrl+C. Counts as a cancel. */
  stopNow?: AbortSignal;
  /** Between SIGTERM and SIGKILL. */
  graceMs: number;
}

export function spawnHarness(o: SpawnHarnessOptions): HarnessProcess {
  const token = newRunToken();
  const child = spawn(o.python, o.argv, {
    cwd: o.cwd,
    env: { ...o.env, [RUN_TOKEN_VARIABLE]: token },
    detached: true,
    shell: false,
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    windowsHide: true,
  });
  const events = child.stdio[3] as Readable;
  let reason: EndReason = null;
  let exited = false;
  let killTimer: NodeJS.Timeout | undefined;
  let timeoutTimer: NodeJS.Timeout | undefined;
  const tracker = child.pid !== undefined ? new EscapeeTracker(child.pid, token) : undefined;
  const poller = tracker ? setInterval(() => tracker.poll(), ESCAPEE_POLL_MS) : undefined;
  poller?.unref();
  let escapees: Escapee[] = [];

  const end = (why: Exclude<EndReason, null>): void => {
    if (exited || reason !== null || child.pid === undefined) return;
    reason = why;
    tracker?.poll();
    try {
      child.kill('SIGTERM');
    } catch {
      // already gone: the exit handler cleans up
    }
    killTimer = setTimeout(() => {
      if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
    }, o.graceMs);
  };
  const onAbort = (): void => end('cancelled');
  const onStopNow = (): void => {
    if (exited || child.pid === undefined) return;
    reason ??= 'cancelled';
    tracker?.poll();
    signalGroup(child.pid, 'SIGKILL');
  };
  // Node exiting (Ctrl+C on the CLI, extension host shutdown) must not leave the group running.
  const onNodeExit = (): void => {
    if (!exited && child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
    tracker?.killAll();
  };

  const done = new Promise<HarnessExit>((resolve) => {
    let spawnError: Error | null = null;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    let settled = false;
    let closeTimer: NodeJS.Timeout | undefined;
    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(closeTimer);
      clearTimeout(killTimer);
      clearTimeout(timeoutTimer);
      clearInterval(poller);
      o.signal?.removeEventListener('abort', onAbort);
      o.stopNow?.removeEventListener('abort', onStopNow);
      process.removeListener('exit', onNodeExit);
      resolve({ code: exit?.code ?? null, signal: exit?.signal ?? null, reason, spawnError, escapees });
    };
    child.once('error', (err) => {
      spawnError = err;
      if (child.pid === undefined) finish();
    });
    child.once('exit', (code, signal) => {
      exited = true;
      exit = { code, signal };
      if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
      clearInterval(poller);
      if (tracker) {
        tracker.sweepByToken();
        escapees = tracker.killAll();
      }
      // A grandchild that left the group (setsid) may hold a pipe open forever: stop waiting for it.
      closeTimer = setTimeout(() => {
        for (const s of [events, child.stdout, child.stderr]) s?.destroy();
        finish();
      }, CLOSE_WAIT_MS);
    });
    // 'close' waits for every stdio pipe, i.e. for the last event line to be read.
    child.once('close', (code, signal) => {
      exit ??= { code, signal };
      finish();
    });
  });

  if (child.pid !== undefined) {
    process.once('exit', onNodeExit);
    if (o.signal !== undefined) {
      if (o.signal.aborted) queueMicrotask(onAbort);
      else o.signal.addEventListener('abort', onAbort, { once: true });
    }
    if (o.stopNow !== undefined) {
      if (o.stopNow.aborted) queueMicrotask(onStopNow);
      else o.stopNow.addEventListener('abort', onStopNow, { once: true });
    }
    if (o.timeoutMs !== undefined && o.timeoutMs > 0) timeoutTimer = setTimeout(() => end('timeout'), o.timeoutMs);
  }
  return { pid: child.pid, events, stdout: child.stdout as Readable, stderr: child.stderr as Readable, done };
}
