// Runs are named for the user: by the launch configuration they came from, else by the script's path
// relative to the run's directory, so two `main.py` runs tell apart (issue 12).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { listRuns, loadDashboardRun, writeRunName } from '../../src/report/run-data';
import { writeSyntheticRun } from '../helpers/synthetic-run';

describe('run names', () => {
  it('names runs of two main.py scripts by their relative paths, and a launch configuration run by its name', async () => {
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-names-'));
    const base = path.join(ws, '.pipeline-doctor', 'runs');
    await writeSyntheticRun(path.join(base, 'run-vision'), { script: path.join(ws, 'vision', 'main.py'), startedAt: '2026-11-20T10:00:00.000Z' });
    await writeSyntheticRun(path.join(base, 'run-text'), { script: path.join(ws, 'text', 'main.py'), startedAt: '2026-11-20T11:00:00.000Z' });
    await writeSyntheticRun(path.join(base, 'run-launch'), { script: path.join(ws, 'text', 'main.py'), startedAt: '2026-11-20T12:00:00.000Z' });
    for (const id of ['run-vision', 'run-text', 'run-launch']) {
      const file = path.join(base, id, 'summary.json');
      fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), cwd: ws }));
    }
    writeRunName(path.join(base, 'run-launch'), 'Train text model (small)');
    const { runs, skipped } = listRuns(base);
    assert.deepEqual(skipped, []);
    assert.deepEqual(runs.map((r) => [r.id, r.name]), [
      ['run-launch', 'Train text model (small)'], ['run-text', path.join('text', 'main.py')], ['run-vision', path.join('vision', 'main.py')],
    ]);
    assert.equal((await loadDashboardRun(path.join(base, 'run-launch'), { noStatic: true })).run.name, 'Train text model (small)');
    assert.equal((await loadDashboardRun(path.join(base, 'run-vision'), { noStatic: true })).run.name, path.join('vision', 'main.py'));
  });
});
