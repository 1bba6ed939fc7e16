// Bad input gets a clear message and loses nothing: no crash, at most one notice per file.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { analyze, analyzeFile } from '../../src/analyzers';

const NAIVE = [
  'from torch.utils.data import DataLoader',
  'def train(ds, model, opt):',
  '    loader = DataLoader(ds, batch_size=8)',
  '    for b in loader:',
  '        opt.zero_grad()',
  '        model(b).backward()',
  '        opt.step()',
  '',
].join('\n');

function tmp(name: string, content: string | Buffer): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-robust-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

describe('robustness', () => {
  it('reports one syntax-error notice and still finds what it can', async () => {
    const r = await analyze('train.py', NAIVE + 'def broken(:\n    pass\n');
    assert.equal(r.notices.length, 1);
    assert.match(r.notices[0].message, /syntax error at line 8/);
    assert.deepEqual(r.findings.map((f) => f.code), ['LOAD001']);
  });

  it('handles mixed tabs and spaces', async () => {
    const r = await analyze('train.py', NAIVE.replace('        opt.step()', '\t\topt.step()'));
    assert.ok(Array.isArray(r.findings));
  });

  it('decodes non-UTF-8 bytes with replacement and analyses the rest', async () => {
    const bytes = Buffer.concat([Buffer.from('# caf\xe9 latin-1 comment\n', 'latin1'), Buffer.from(NAIVE)]);
    const r = await analyzeFile(tmp('latin1.py', bytes));
    assert.deepEqual(r.findings.map((f) => [f.code, f.range.start.line]), [['LOAD001', 3]]);
  });

  it('skips an empty file silently and a binary file with a notice', async () => {
    const empty = await analyze('empty.py', '');
    assert.deepEqual([empty.findings, empty.notices], [[], []]);
    const r = await analyzeFile(tmp('weights.py', Buffer.from([0x80, 0x00, 0x01, 0x02, 0x00, 0xff])));
    assert.deepEqual(r.notices.map((n) => n.message), ['skipped: binary content']);
  });

  it('skips a 5 MB file over the limit with one notice, and analyses it when the limit allows', async () => {
    const big = NAIVE + Array.from({ length: 120_000 }, (_, i) => `x_${i} = compute(${i}, "padding padding")`).join('\n') + '\n';
    assert.ok(big.length > 5 * 1024 * 1024);
    const file = tmp('generated.py', big);
    const skipped = await analyzeFile(file);
    assert.equal(skipped.notices.length, 1);
    assert.match(skipped.notices[0].message, /over the 2\.0 MB limit/);
    const full = await analyzeFile(file, { maxFileBytes: 8 * 1024 * 1024 });
    assert.deepEqual(full.findings.map((f) => f.code), ['LOAD001']);
  });

  it('reports malformed YAML and JSON with one notice each', async () => {
    for (const [name, text] of [['bad.yaml', 'trainer:\n  max_epochs: [1, 2\n  x: : y\n'], ['bad.json', '{"output_dir": "x",, "per_device_train_batch_size": }']]) {
      const r = await analyze(name, text);
      assert.equal(r.notices.length, 1, name);
      assert.match(r.notices[0].message, /syntax error/i);
      assert.deepEqual(r.findings, []);
    }
  });

  it('ignores files it does not understand', async () => {
    assert.deepEqual((await analyze('README.md', '# hi')).findings, []);
  });
});

describe('generated code', () => {
  it('skips Python with a line over 10,000 characters, with one notice naming the line', async () => {
    const r = await analyze('weights.py', NAIVE + 'WEIGHTS = [' + '0.125, '.repeat(3000) + ']\n');
    assert.deepEqual(r.findings, []);
    assert.deepEqual(r.notices.map((n) => [n.kind, n.line]), [['long-line', 7]]);
    assert.match(r.notices[0].message, /^skipped: line 8 has 21,012 characters/);
  });
});
