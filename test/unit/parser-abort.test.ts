// A file that exhausts tree-sitter's wasm memory (50 MB of Python, with the size limit raised) aborts
// the wasm instance. The files after it must still be analysed (src/analyzers/engine/parser.ts loads a
// fresh instance), and the failed file must fail the run: its findings are unknown.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { it } from 'node:test';

const CLI = path.resolve(__dirname, '../../src/cli.js');

it('a wasm abort on one file fails that file, not the files after it, and exits 1 even with --fail-on never', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-abort-'));
  try {
    fs.writeFileSync(path.join(dir, 'a_huge.py'), 'a=1\n'.repeat(50 * 1024 * 1024 / 4));
    fs.writeFileSync(path.join(dir, 'b_train.py'), [
      'from torch.utils.data import DataLoader',
      'def train(ds, model, opt):',
      '    loader = DataLoader(ds, batch_size=8)',
      '    for b in loader:',
      '        opt.zero_grad()',
      '        model(b).backward()',
      '        opt.step()',
      '',
    ].join('\n'));
    const started = performance.now();
    const r = spawnSync(process.execPath, [CLI, 'lint', '.', '--max-file-size-mb', '100', '--fail-on', 'never'], { cwd: dir, encoding: 'utf8', timeout: 300_000 });
    console.log(`lint with a 50 MB file: ${((performance.now() - started) / 1000).toFixed(1)} s`);
    assert.match(r.stdout, /^a_huge\.py: error +analysis failed: tree-sitter ran out of memory \(50\.0 MB of text\)/m, r.stdout + r.stderr);
    assert.match(r.stdout, /^b_train\.py:3:14: warning +LOAD001 /m, r.stdout + r.stderr);
    assert.match(r.stdout, /1 finding \(1 warning\) in 2 files; 1 fixable with --fix; 1 file could not be analysed/);
    assert.equal(r.status, 1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
