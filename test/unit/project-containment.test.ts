// The project index reads only files inside the project root: a Hydra defaults entry or a relative
// import that climbs out of it (`..`, a symbolic link, a sibling folder sharing the root's name as a
// prefix) is treated as unresolvable, so nothing outside the workspace shapes a finding.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { analyzeFile } from '../../src/analyzers';
import { ProjectIndex } from '../../src/analyzers/workspace/project';

function write(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
}

const TRAINER = '\ntrainer:\n  _target_: lightning.pytorch.Trainer\n  max_epochs: 200\n';
/** A callbacks group without EarlyStopping: read, it makes STOP003 report the trainer config. */
const NO_EARLY_STOPPING = 'model_checkpoint:\n  _target_: lightning.pytorch.callbacks.ModelCheckpoint\n  monitor: val/loss\n';

describe('project containment', () => {
  it('does not follow a Hydra defaults entry out of the workspace (.., symbolic link), and does follow it inside', async () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-contain-'));
    const ws = path.join(base, 'ws');
    write(base, { 'outside/cb.yaml': NO_EARLY_STOPPING });
    write(ws, {
      'configs/climb.yaml': `defaults:\n  - callbacks: ../../../outside/cb\n  - _self_\n${TRAINER}`,
      'configs/linked.yaml': `defaults:\n  - callbacks: linked\n  - _self_\n${TRAINER}`,
      'configs/inside.yaml': `defaults:\n  - callbacks: inside\n  - _self_\n${TRAINER}`,
      'configs/callbacks/inside.yaml': NO_EARLY_STOPPING,
    });
    fs.symlinkSync(path.join(base, 'outside/cb.yaml'), path.join(ws, 'configs/callbacks/linked.yaml'));
    // The climbing entry names a file that exists: only containment keeps it out.
    assert.ok(fs.existsSync(path.join(ws, 'configs/callbacks', '../../../outside/cb.yaml')));
    const stop003 = async (name: string) => (await analyzeFile(path.join(ws, 'configs', name), { root: ws, select: ['STOP003'] })).findings.map((f) => f.code);
    assert.deepEqual(await stop003('inside.yaml'), ['STOP003'], 'the same group file inside the workspace is followed');
    assert.deepEqual(await stop003('climb.yaml'), []);
    assert.deepEqual(await stop003('linked.yaml'), []);
  });

  it('resolves no module or config outside the root, nor in a sibling folder whose name starts like the root', () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-contain-'));
    write(base, {
      'ws/train.py': 'from ..ws2.data import Frames\n',
      'ws/pkg/data.py': 'class Frames:\n    pass\n',
      'ws2/data.py': 'class Frames:\n    pass\n',
      'outside.yaml': 'a: 1\n',
    });
    const index = new ProjectIndex(path.join(base, 'ws'));
    assert.equal(index.moduleFile('train.py', '..ws2.data'), undefined);
    assert.equal(index.pythonModule(path.join(base, 'ws2/data.py')), undefined);
    assert.equal(index.config(path.join(base, 'ws', '../outside.yaml')), undefined);
    assert.equal(index.moduleFile('train.py', 'pkg.data'), path.join(base, 'ws/pkg/data.py'));
  });
});
