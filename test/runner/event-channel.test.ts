// The harness's event channel (fd 3) under a script that writes a huge line to it: the line is dropped
// unread with one note, in linear time and bounded memory, and the run is measured as usual.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { MAX_EVENT_LINE_CHARS, NdjsonDecoder } from '../../src/runner/events';
import type { ProfileEvent, RunSummary } from '../../src/shared/profile';
import { PY, expectInvalidEventLines, requireTorch, script, tempDir } from './helpers';

const CLI = path.resolve(__dirname, '../../src/cli.js');

/** Runs the CLI, sampling its peak resident memory (VmHWM) from /proc until it exits. */
function runMeasured(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; seconds: number; peakMb: number }> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let peakKb = 0;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const sample = setInterval(() => {
      try {
        const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (hwm) peakKb = Math.max(peakKb, Number(hwm[1]));
      } catch {
        // exited between samples
      }
    }, 50);
    child.once('close', (code) => {
      clearInterval(sample);
      resolve({ code, stdout, stderr, seconds: (performance.now() - started) / 1000, peakMb: peakKb / 1024 });
    });
  });
}

describe('runner: event channel', () => {
  before(requireTorch);

  it('a 64 MB line on fd 3 is dropped with one note, fast and in bounded memory; the run is still measured', async () => {
    const out = tempDir('flood');
    const r = await runMeasured(['profile', script('fd3_flood.py'), '--json', '--python', PY, '--warmup', '2', '--steps', '10', '--control', '0', '--out', out, '--', '--flood-mb', '64']);
    console.log(`profile with a 64 MB line on fd 3: ${r.seconds.toFixed(1)} s, peak RSS ${r.peakMb.toFixed(0)} MB`);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout) as RunSummary;
    assert.equal(summary.steps, 10);
    assert.deepEqual(summary.notes.filter((n) => /fd 3/.test(n)), [`1 event line(s) over 1 MiB on the harness's channel (fd 3) dropped unread: does the script write to fd 3?`]);
    assert.ok(summary.notes.includes('2 unreadable event line(s) from the harness ignored'), summary.notes.join('\n'));
    assert.ok(fs.existsSync(path.join(summary.folder, 'summary.json')));
    assert.ok(r.peakMb < 400, `peak RSS ${r.peakMb.toFixed(0)} MB`);
    assert.ok(r.seconds < 60, `took ${r.seconds.toFixed(1)} s`);
  });

  it('the decoder keeps lines up to the limit and counts longer ones, however they are chunked', () => {
    expectInvalidEventLines();
    const got: ProfileEvent[] = [];
    const tooLong: number[] = [];
    const d = new NdjsonDecoder({ event: (e) => got.push(e), invalid: (l) => assert.fail(`invalid: ${l.slice(0, 80)}`), tooLong: (n) => tooLong.push(n) });
    const notice = (message: string) => JSON.stringify({ type: 'notice', level: 'info', message });
    const fits = notice('y'.repeat(MAX_EVENT_LINE_CHARS - notice('').length));
    const chunk = 'z'.repeat(64 * 1024);
    d.push(notice('a') + '\n' + fits.slice(0, 1000));
    d.push(fits.slice(1000) + '\n');
    for (let i = 0; i < 64 * 16; i++) d.push(chunk);
    // A harness killed while writing an over-long line: the part read is counted at the end.
    d.push('\n' + notice('b') + '\n');
    for (let i = 0; i < 20; i++) d.push(chunk);
    d.end();
    assert.deepEqual(got.map((e) => (e.type === 'notice' ? e.message.length : -1)), [1, fits.length - notice('').length, 1]);
    assert.deepEqual(tooLong, [64 * 1024 * 1024, 20 * chunk.length]);
  });
});
