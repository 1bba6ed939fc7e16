// The harness event contract is declared once (src/shared/profile-events.schema.json): the TypeScript types
// are generated from it and the build ships it beside the harness, which reads its version from it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { PROFILE_SCHEMA_VERSION } from '../../src/shared/profile';

const ROOT = path.resolve(__dirname, '..', '..', '..');

describe('harness event contract', () => {
  it('the committed event types are the ones generated from the schema', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts/profile-event-types.mjs'), '--check'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });

  it('the build ships the schema beside the harness, which reads the contract version from it there', () => {
    const dist = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pd-contract-')), 'dist');
    const b = spawnSync(process.execPath, [path.join(ROOT, 'scripts/build.mjs'), '--outdir', dist], { encoding: 'utf8' });
    assert.equal(b.status, 0, b.stderr);
    const shipped = path.join(dist, 'python', 'profile-events.schema.json');
    assert.deepEqual(JSON.parse(fs.readFileSync(shipped, 'utf8')), JSON.parse(fs.readFileSync(path.join(ROOT, 'src/shared/profile-events.schema.json'), 'utf8')));
    // Outside the source tree the harness can only have read the shipped copy.
    const py = spawnSync('/usr/bin/python3', ['-c', 'import pd_events; print(pd_events.schema_path()); print(pd_events.SCHEMA_VERSION)'],
      { encoding: 'utf8', cwd: dist, env: { ...process.env, PYTHONPATH: path.join(dist, 'python') } });
    assert.equal(py.status, 0, py.stderr);
    assert.deepEqual(py.stdout.trim().split('\n'), [shipped, String(PROFILE_SCHEMA_VERSION)]);
  });
});
