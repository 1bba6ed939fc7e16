// Shared by the runner tests: the interpreter with real PyTorch, the test scripts, temp folders, the
// process accounting that proves no run leaves anything behind, and the event contract check: every
// harness event of every runner test is valid (docs/profiling.md, "The harness event contract").
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'node:test';
import { INVALID_EVENT_LINES } from '../../src/runner/events';
import { listProcesses, liveGroupMembers } from '../../src/runner/process-group';

// The harness validates each event against the schema before writing it (pd_events.py, with Debian's
// python3-jsonschema) and turns one that fails into a line the decoder rejects; the variable reaches every
// harness these tests start, in this process's runs and in the CLI processes they spawn.
process.env.PIPELINE_DOCTOR_CHECK_EVENTS = '1';

/** Lines the decoders of this process rejected since the last test ended. */
const invalidLines: string[] = [];
let invalidLinesExpected = false;
INVALID_EVENT_LINES.subscribe((message) => {
  const { why, line } = message as { why: string; line: string | null };
  invalidLines.push(line === null ? why : `${why}: ${line.length > 2000 ? `${line.slice(0, 2000)}...` : line}`);
});

/** For the tests that feed the decoder bad lines on purpose: the current test may see invalid event lines. */
export function expectInvalidEventLines(): void {
  invalidLinesExpected = true;
}

// Every test of a file that imports these helpers fails when an event line was invalid or too long.
afterEach(() => {
  const lines = invalidLines.splice(0);
  const expected = invalidLinesExpected;
  invalidLinesExpected = false;
  if (!expected) assert.deepEqual(lines, [], 'invalid event lines from the harness');
});

/** The same check for a run of a CLI process, whose decoder counts the lines it rejected in the summary's notes. */
export function assertNoInvalidEventLines(summary: { notes: string[] }): void {
  assert.deepEqual(summary.notes.filter((n) => /unreadable event line|dropped unread/.test(n)), [], 'invalid event lines from the harness');
}

/** Debian's python3-torch lives under /usr/bin/python3; `python3` on PATH may be another interpreter. */
export const PY = '/usr/bin/python3';
export const SCRIPTS = path.resolve(__dirname, '..', '..', '..', 'test', 'runner', 'scripts');

export function script(name: string): string {
  return path.join(SCRIPTS, name);
}

let torchChecked = false;
/** The runner tests need real torch: fail loudly instead of skipping into a green run. */
export function requireTorch(): void {
  if (torchChecked) return;
  let version = '';
  try {
    version = execFileSync(PY, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).trim();
  } catch (err) {
    assert.fail(`${PY} cannot import torch (install Debian python3-torch): ${(err as Error).message}`);
  }
  assert.ok(version.length > 0, 'torch version');
  torchChecked = true;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `pd-${prefix}-`));
}

/** Children of this test process that are still alive (python harnesses, workers re-parented stay in the group). */
export function liveChildren(): string[] {
  return listProcesses()
    .filter((p) => p.ppid === process.pid && p.state !== 'Z' && /python/.test(p.comm))
    .map((p) => `${p.pid} ${p.comm}`);
}

/** Zero processes of the run's group and zero python children: waits briefly for the kernel to reap. */
export async function assertNothingLeft(pgid: number | undefined): Promise<void> {
  assert.ok(pgid !== undefined && pgid > 0, 'the harness was spawned');
  let members = liveGroupMembers(pgid);
  for (let i = 0; i < 20 && (members.length > 0 || liveChildren().length > 0); i++) {
    await new Promise((r) => setTimeout(r, 100));
    members = liveGroupMembers(pgid);
  }
  assert.deepEqual(members.map((m) => `${m.pid} ${m.comm} ${m.state}`), [], 'processes left in the run\'s group');
  assert.deepEqual(liveChildren(), [], 'python children left behind');
}

/** Many small files: the IO probe must recommend sharding. */
export function smallFileDataset(n = 1100): string {
  const dir = tempDir('data');
  const payload = Buffer.alloc(2048, 7);
  for (let i = 0; i < n; i++) fs.writeFileSync(path.join(dir, `s${String(i).padStart(5, '0')}.bin`), payload);
  return dir;
}

/**
 * A real interpreter that cannot import torch: Debian's python with site-packages disabled (-S). That hides
 * python3-jsonschema too, so its harness skips the Python-side event check (the decoder still checks).
 */
export function pythonWithoutTorch(): string {
  const dir = tempDir('notorch');
  const wrapper = path.join(dir, 'python-no-torch');
  fs.writeFileSync(wrapper, `#!/bin/sh\nunset PIPELINE_DOCTOR_CHECK_EVENTS\nexec ${PY} -S "$@"\n`, { mode: 0o755 });
  return wrapper;
}

/** 1-based line of the first line containing `needle`. */
export function lineOf(file: string, needle: string): number {
  const idx = fs.readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(needle));
  assert.ok(idx >= 0, `${needle} in ${file}`);
  return idx + 1;
}
