// `lint --fix` on real files (issue 10, items 1-4, 9 and the fixable count of 17): every byte outside a
// fix's range stays as it was (line ends, BOM, the file's encoding), a file changed on disk meanwhile is
// not written, one bad file does not stop the others, notebooks are fixed in their JSON. The command runs
// in this process (lintCommand) so a test can change a file at the moment --fix has read it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { lintCommand } from '../../src/cli/lint';

/** A training script LOAD001 fixes safely (a map-style dataset built in place, inside a function). */
const LINES = [
  'from torch.utils.data import DataLoader; from torchvision.datasets import ImageFolder',
  'def train(root, model, opt):',
  '    loader = DataLoader(ImageFolder(root), batch_size=8)',
  '    for b in loader:',
  '        opt.zero_grad()',
  '        model(b).backward()',
  '        opt.step()',
  '',
];
/**
 * LINES after the fix, with `eol` in what the fix inserts: `import os` opens a standard-library section
 * above the third-party imports, and the loader call, now past 88 columns, is wrapped one argument a line.
 */
function fixedLines(eol: string): string[] {
  const out = [...LINES];
  out[0] = `import os${eol}${eol}${out[0]}`;
  out[2] = ['    loader = DataLoader(', '        ImageFolder(root),', '        batch_size=8,', '        num_workers=min(8, os.cpu_count() or 1),', '        persistent_workers=True,', '    )'].join(eol);
  return out;
}

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'pd-fix-'));
}

async function lint(dir: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await lintCommand(args, { cwd: dir, version: '0', color: false, stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

function compiles(file: string): void {
  execFileSync('/usr/bin/python3', ['-m', 'py_compile', file], { stdio: 'pipe' });
}

describe('lint --fix keeps every byte outside the fix', () => {
  it('reads a lone CR as a line end: plain lint lines are right and --fix edits the right place once (item 1)', async () => {
    const dir = tempDir();
    // Old Mac line ends on the first lines, LF after: the finding is on line 4 (1-based) for Python.
    const text = '# trainer\r# old header\r' + LINES.join('\n');
    fs.writeFileSync(path.join(dir, 'train.py'), text);
    const plain = await lint(dir, ['train.py', '--format', 'json', '--fail-on', 'never']);
    const finding = JSON.parse(plain.stdout).findings.find((f: { code: string }) => f.code === 'LOAD001');
    assert.equal(finding.range.start.line, 4, 'LOAD001 is on the fifth line as Python counts them');
    const r = await lint(dir, ['train.py', '--fix']);
    assert.match(r.stdout, /applied 1 fix\b/);
    assert.equal(fs.readFileSync(path.join(dir, 'train.py'), 'utf8'), '# trainer\r# old header\r' + fixedLines('\n').join('\n'));
    compiles(path.join(dir, 'train.py'));
  });

  it('does not write a file that changed on disk after --fix read it (item 2)', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'train.py');
    fs.writeFileSync(file, LINES.join('\n'));
    // Someone saves the file right after --fix has read it (an editor, a formatter, git checkout).
    const theirs = '# rewritten by someone else\n' + LINES.join('\n').replace('batch_size=8', 'batch_size=16');
    const read = fs.readFileSync;
    let saved = false;
    (fs as { readFileSync: unknown }).readFileSync = function (this: unknown, ...args: Parameters<typeof fs.readFileSync>) {
      const out = read.apply(fs, args);
      const target = args[0];
      const isTrain = typeof target === 'number' ? !saved : String(target) === file;
      if (isTrain && !saved) {
        saved = true;
        fs.writeFileSync(file, theirs);
      }
      return out;
    } as typeof fs.readFileSync;
    let r;
    try {
      r = await lint(dir, ['train.py', '--fix']);
    } finally {
      (fs as { readFileSync: unknown }).readFileSync = read;
    }
    assert.ok(saved);
    assert.equal(fs.readFileSync(file, 'utf8'), theirs, 'the newer content is left as it is');
    assert.match(r.stdout, /changed on disk while it was being fixed; not written/);
    assert.doesNotMatch(r.stdout, /applied/);
    assert.equal(r.code, 1);
  });

  it('keeps a latin-1 file (PEP 263 cookie) in latin-1, byte for byte outside the fix (item 3)', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'train.py');
    const head = '# -*- coding: latin-1 -*-\n# caf\u00e9, na\u00efve, \u00a9 2024\n';
    fs.writeFileSync(file, Buffer.from(head + LINES.join('\n') + '# \u00e9t\u00e9\n', 'latin1'));
    const r = await lint(dir, ['train.py', '--fix']);
    assert.match(r.stdout, /applied 1 fix\b/);
    assert.deepEqual(fs.readFileSync(file), Buffer.from(head + fixedLines('\n').join('\n') + '# \u00e9t\u00e9\n', 'latin1'));
    compiles(file);
  });

  it('keeps a UTF-8 BOM and puts a line-1 edit where the analysis found it (item 4)', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'train.py');
    fs.writeFileSync(file, '\ufeff' + LINES.join('\r\n'));
    const plain = await lint(dir, ['train.py', '--format', 'json', '--fail-on', 'never']);
    const finding = JSON.parse(plain.stdout).findings.find((f: { code: string }) => f.code === 'LOAD001');
    assert.deepEqual(finding.range.start, { line: 2, character: 13 });
    const r = await lint(dir, ['train.py', '--fix']);
    assert.match(r.stdout, /applied 1 fix\b/);
    assert.equal(fs.readFileSync(file, 'utf8'), '\ufeff' + fixedLines('\r\n').join('\r\n'));
    compiles(file);
  });

  it('keeps the file mode and leaves no temporary file behind', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'train.py');
    fs.writeFileSync(file, LINES.join('\n'));
    fs.chmodSync(file, 0o751);
    await lint(dir, ['train.py', '--fix']);
    assert.equal(fs.statSync(file).mode & 0o777, 0o751);
    assert.deepEqual(fs.readdirSync(dir), ['train.py']);
  });
});

describe('lint --fix with bad files among good ones (item 9)', () => {
  it('fixes the good files, reports each bad one, prints the report, and exits 1', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'a_train.py'), LINES.join('\n'));
    fs.writeFileSync(path.join(dir, 'b_null.ipynb'), 'null');
    fs.writeFileSync(path.join(dir, 'c_null_cell.ipynb'), '{"cells": [null], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}');
    fs.writeFileSync(path.join(dir, 'd_deep.ipynb'), `{"cells": [{"cell_type": "code", "source": "x = 1", "outputs": ${'['.repeat(10_000)}${']'.repeat(10_000)}}]}`);
    fs.writeFileSync(path.join(dir, 'e_gone.py'), LINES.join('\n'));
    fs.writeFileSync(path.join(dir, 'f_deep.json'), `{"train": ${'['.repeat(10_000)}${']'.repeat(10_000)}}`);
    fs.writeFileSync(path.join(dir, 'z_train.py'), LINES.join('\n'));
    // e_gone.py is listed, then deleted before --fix gets to it.
    const read = fs.readFileSync;
    (fs as { readFileSync: unknown }).readFileSync = function (this: unknown, ...args: Parameters<typeof fs.readFileSync>) {
      const out = read.apply(fs, args);
      fs.rmSync(path.join(dir, 'e_gone.py'), { force: true });
      return out;
    } as typeof fs.readFileSync;
    let r;
    try {
      r = await lint(dir, ['.', '--fix']);
    } finally {
      (fs as { readFileSync: unknown }).readFileSync = read;
    }
    assert.equal(fs.readFileSync(path.join(dir, 'a_train.py'), 'utf8'), fixedLines('\n').join('\n'));
    assert.equal(fs.readFileSync(path.join(dir, 'z_train.py'), 'utf8'), fixedLines('\n').join('\n'));
    assert.match(r.stdout, /^b_null\.ipynb: note +not a Jupyter notebook/m);
    assert.match(r.stdout, /^c_null_cell\.ipynb: note +not a Jupyter notebook: cell 1 is not an object/m);
    assert.match(r.stdout, /^e_gone\.py: error +not fixed: the file is gone/m);
    assert.match(r.stdout, /in 7 files; applied 2 fixes; 1 file could not be analysed\n$/);
    assert.equal(r.code, 1, 'a file --fix could not handle fails the run');
  });
});

describe('lint --fix on notebooks (item 17: what "fixable with --fix" counts is what --fix applies)', () => {
  it('applies the safe fixes to the code cells, changing only those source lines in the .ipynb', async () => {
    const dir = tempDir();
    const cell = (type: string, lines: string[]) => ({ cell_type: type, execution_count: null, metadata: {}, outputs: type === 'code' ? [{ name: 'stdout', output_type: 'stream', text: ['caf\u00e9\n'] }] : undefined, source: lines });
    const nb = {
      cells: [
        cell('markdown', ['# Training \u2014 notes\n']),
        cell('code', [LINES[0]]),
        cell('code', LINES.slice(1, -1).map((l, i, all) => (i < all.length - 1 ? l + '\n' : l))),
      ],
      metadata: { kernelspec: { name: 'python3' } },
      nbformat: 4,
      nbformat_minor: 5,
    };
    const original = JSON.stringify(nb, null, 1) + '\n';
    const file = path.join(dir, 'train.ipynb');
    fs.writeFileSync(file, original);
    const before = await lint(dir, ['train.ipynb']);
    assert.match(before.stdout, /1 fixable with --fix/);
    const r = await lint(dir, ['train.ipynb', '--fix']);
    assert.match(r.stdout, /applied 1 fix\b/);
    const fixed = fixedLines('\n');
    const sources = [fixed[0], fixed.slice(1, -1).join('\n')].map((text) => text.split(/(?<=\n)/));
    const expected = JSON.stringify({ ...nb, cells: nb.cells.map((c, i) => (i === 0 ? c : { ...c, source: sources[i - 1] })) }, null, 1) + '\n';
    assert.equal(fs.readFileSync(file, 'utf8'), expected);
    const after = await lint(dir, ['train.ipynb']);
    assert.doesNotMatch(after.stdout, /fixable/);
  });

  it('does not count the fixes of a file that does not parse, which --fix leaves alone', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'train.py'), LINES.join('\n') + 'def broken(:\n');
    const plain = await lint(dir, ['train.py']);
    assert.doesNotMatch(plain.stdout, /fixable/);
    const r = await lint(dir, ['train.py', '--fix']);
    assert.match(r.stdout, /not fixed: syntax error at line 8/);
    assert.equal(fs.readFileSync(path.join(dir, 'train.py'), 'utf8'), LINES.join('\n') + 'def broken(:\n');
  });
});
