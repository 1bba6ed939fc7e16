// `pipeline-doctor report` on a damaged summary.json: rejected before any page is written, exit 1, one
// line naming the field, no stack trace. Each summary here would otherwise make a page that cannot render
// (`disk: []`, an unknown severity) or shows nonsense (a negative count, `Infinity%` from `1e999`).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import type { RunSummary } from '../../src/shared/profile';
import { writeSyntheticRun } from '../helpers/synthetic-run';

const CLI = path.resolve(__dirname, '../../src/cli.js');
/** Stands for a number JSON cannot write: replaced by `1e999`, which JSON.parse reads as Infinity. */
const INFINITE = '__infinite__';

function report(folder: string) {
  const out = path.join(path.dirname(folder), `${path.basename(folder)}.html`);
  const r = spawnSync(process.execPath, [CLI, 'report', folder, '--out', out, '--no-static'], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, written: fs.existsSync(out) };
}

describe('pipeline-doctor report: summary validation', () => {
  let base: string;
  let good: RunSummary;
  before(async () => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-report-'));
    good = await writeSyntheticRun(path.join(base, 'good'), { steps: 120 });
  });

  it('writes the page for an intact summary', () => {
    const r = report(path.join(base, 'good'));
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.written);
  });

  it('writes the page for a loop without a DataLoader (steps at optimizer.step())', () => {
    const folder = path.join(base, 'optimizer-loop');
    fs.cpSync(path.join(base, 'good'), folder, { recursive: true });
    const summary = JSON.parse(JSON.stringify(good)) as Record<string, any>;
    summary.loaders[0].kind = 'optimizer';
    fs.writeFileSync(path.join(folder, 'summary.json'), JSON.stringify(summary));
    const r = report(folder);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.written);
  });

  const cases: Array<[string, (s: Record<string, any>) => void, RegExp]> = [
    ['disk: []', (s) => { s.disk = []; }, /disk: expected an object, found \[\]/],
    ['an out-of-range severity', (s) => { s.findings[0].severity = 'fatal'; }, /findings\[0\]\.severity: "fatal" is not one of error, warning, info, hint/],
    ['a negative step count', (s) => { s.steps = -5; }, /steps: -5 is below 0/],
    ['a negative fetch count', (s) => { s.loaders[0].fetches = -1; }, /loaders\[0\]\.fetches: -1 is below 0/],
    ['Infinity% GPU utilisation', (s) => { s.gpu.utilizationMedianPct = INFINITE; }, /gpu\.utilizationMedianPct: Infinity is not a finite number/],
    ['an input share above 1', (s) => { s.inputShare = 3; }, /inputShare: 3 is above 1/],
    ['a sweep step time of Infinity', (s) => { s.sweep[1].stepMs.p50 = INFINITE; }, /sweep\[1\]\.stepMs\.p50: Infinity is not a finite number/],
    ['a recommendation without its speed-up', (s) => { delete s.sweepOutcome.speedup; }, /sweepOutcome\.speedup: expected an object, found nothing/],
  ];
  for (const [name, damage, message] of cases) {
    it(`rejects ${name}, naming the field`, () => {
      const folder = path.join(base, name.replace(/\W+/g, '-'));
      fs.cpSync(path.join(base, 'good'), folder, { recursive: true });
      const summary = JSON.parse(JSON.stringify(good)) as Record<string, any>;
      damage(summary);
      fs.writeFileSync(path.join(folder, 'summary.json'), JSON.stringify(summary).replaceAll(`"${INFINITE}"`, '1e999'));
      const r = report(folder);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.equal(r.written, false);
    });
  }
});
