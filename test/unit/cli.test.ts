// The CLI as users run it: a real subprocess over real files.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Log } from 'sarif';

const CLI = path.resolve(__dirname, '../../src/cli.js');

function cli(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Processes running this test's CLI, from /proc. */
function childCount(): number {
  return fs.readdirSync('/proc').filter((pid) => /^\d+$/.test(pid)).filter((pid) => {
    try {
      return /src\/cli\.js/.test(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
    } catch {
      return false;
    }
  }).length;
}

function project(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-cli-'));
  fs.mkdirSync(path.join(dir, 'src'));
  fs.writeFileSync(path.join(dir, 'src/train.py'), [
    'from torch.utils.data import DataLoader, TensorDataset',
    'def train(x, y, model, opt):',
    '    loader = DataLoader(TensorDataset(x, y), batch_size=8)',
    '    for b in loader:',
    '        opt.zero_grad()',
    '        model(b).backward()',
    '        opt.step()',
    '',
  ].join('\n'));
  fs.mkdirSync(path.join(dir, '.venv/lib'), { recursive: true });
  fs.writeFileSync(path.join(dir, '.venv/pyvenv.cfg'), 'home = /usr/bin\n');
  fs.writeFileSync(path.join(dir, '.venv/lib/vendored.py'), fs.readFileSync(path.join(dir, 'src/train.py')));
  fs.mkdirSync(path.join(dir, 'build'));
  fs.writeFileSync(path.join(dir, 'build/copy.py'), fs.readFileSync(path.join(dir, 'src/train.py')));
  fs.writeFileSync(path.join(dir, '.gitignore'), 'build/\n');
  fs.writeFileSync(path.join(dir, 'pyproject.toml'), '[tool.ruff]\nline-length = 140\n');
  return dir;
}

describe('pipeline-doctor lint', () => {
  it('prints findings as text, skips virtualenvs and .gitignored folders, exits 1', () => {
    const dir = project();
    const r = cli(['lint', '.'], dir);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^src\/train\.py:3:14: warning +LOAD001 Training DataLoader has no num_workers/m);
    assert.doesNotMatch(r.stdout, /\.venv|build\//);
    assert.match(r.stdout, /1 finding \(1 warning\) in 1 file; 1 fixable with --fix/);
  });

  it('emits SARIF 2.1.0 with relative paths and 1-based positions', () => {
    const dir = project();
    const r = cli(['lint', 'src', '--format', 'sarif'], dir);
    const log = JSON.parse(r.stdout) as Log;
    assert.equal(log.version, '2.1.0');
    const result = log.runs[0].results![0];
    assert.equal(result.ruleId, 'LOAD001');
    assert.equal(result.level, 'warning');
    assert.deepEqual(result.locations![0].physicalLocation!.artifactLocation!.uri, 'src/train.py');
    assert.equal(result.locations![0].physicalLocation!.region!.startLine, 3);
    assert.equal(result.locations![0].physicalLocation!.region!.startColumn, 14);
    assert.equal(log.runs[0].tool.driver.rules![0].id, 'LOAD001');
  });

  it('emits JSON, honours --select/--ignore and --fail-on', () => {
    const dir = project();
    const json = JSON.parse(cli(['lint', 'src', '--format', 'json'], dir).stdout);
    assert.equal(json.findings[0].code, 'LOAD001');
    assert.equal(json.findings[0].file, 'src/train.py');
    const ignored = cli(['lint', 'src', '--ignore', 'LOAD001'], dir);
    assert.equal(ignored.code, 0);
    assert.match(ignored.stdout, /No findings in 1 file/);
    assert.equal(cli(['lint', 'src', '--fail-on', 'error'], dir).code, 0);
    assert.equal(cli(['lint', 'src', '--select', 'LOAD'], dir).code, 1);
  });

  it('applies safe fixes with --fix and leaves nothing fixable behind', () => {
    const dir = project();
    const r = cli(['lint', 'src', '--fix'], dir);
    assert.match(r.stdout, /applied 1 fix/);
    const text = fs.readFileSync(path.join(dir, 'src/train.py'), 'utf8');
    assert.match(text, /^import os$/m);
    // one line: within the 140 columns pyproject.toml allows
    assert.match(text, /DataLoader\(TensorDataset\(x, y\), batch_size=8, num_workers=min\(8, os\.cpu_count\(\) or 1\), persistent_workers=True\)/);
    assert.equal(cli(['lint', 'src'], dir).code, 0);
  });

  it('wraps a call --fix makes longer than the default 88 columns when the project sets no line length', () => {
    const dir = project();
    fs.rmSync(path.join(dir, 'pyproject.toml'));
    assert.match(cli(['lint', 'src', '--fix'], dir).stdout, /applied 1 fix/);
    const text = fs.readFileSync(path.join(dir, 'src/train.py'), 'utf8');
    assert.match(text, /^import os\n\nfrom torch\.utils\.data import DataLoader, TensorDataset$/m);
    assert.match(text, /^    loader = DataLoader\(\n        TensorDataset\(x, y\),\n        batch_size=8,\n        num_workers=min\(8, os\.cpu_count\(\) or 1\),\n        persistent_workers=True,\n    \)$/m);
    assert.ok(text.split('\n').every((l) => l.length <= 88), text);
    assert.equal(cli(['lint', 'src'], dir).code, 0);
  });

  it('lints a large tree on worker threads with the same results as one file at a time, leaving no process behind', async () => {
    // 120 files: enough for the lint to use a worker thread per core (2 on CI machines).
    const { analyzeFile } = await import('../../src/analyzers');
    const fixtures = path.resolve(__dirname, '../../../test/rules/fixtures');
    const sources = fs.readdirSync(fixtures).flatMap((code) => fs.readdirSync(path.join(fixtures, code))
      .filter((f) => f.endsWith('.py') && !f.includes('.fixed.')).map((f) => path.join(fixtures, code, f)));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-cli-many-'));
    for (let i = 0; i < 120; i++) fs.copyFileSync(sources[i % sources.length], path.join(dir, `m${String(i).padStart(3, '0')}.py`));
    const before = childCount();
    const r = cli(['lint', '.', '--format', 'json', '--fail-on', 'never'], dir);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { findings: Array<{ code: string; file: string; range: { start: { line: number } } }>; files: number };
    assert.equal(out.files, 120);
    const expected: string[] = [];
    for (const f of fs.readdirSync(dir).sort()) {
      for (const finding of (await analyzeFile(path.join(dir, f), { root: dir })).findings) expected.push(`${f}:${finding.range.start.line}:${finding.code}`);
    }
    assert.ok(expected.length > 100);
    assert.deepEqual(out.findings.map((x) => `${x.file}:${x.range.start.line}:${x.code}`), expected);
    assert.equal(childCount(), before, 'no lint process is left running');
  });

  it('exits 2 on usage errors with a clear message', () => {
    const dir = project();
    for (const args of [['lint'], ['lint', 'src', '--format', 'xml'], ['lint', 'nope'], ['lint', 'src', '--select', 'XYZ9'], ['frobnicate']]) {
      const r = cli(args, dir);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, /^pipeline-doctor: /);
    }
  });
});

describe('pipeline-doctor rules', () => {
  it('lists the catalog as JSON and prints one rule', () => {
    const dir = os.tmpdir();
    const list = JSON.parse(cli(['rules', '--json'], dir).stdout) as Array<Record<string, string>>;
    assert.ok(list.length >= 1);
    assert.deepEqual(Object.keys(list[0]).sort(), ['code', 'family', 'fix', 'name', 'severity']);
    const one = cli(['rules', 'load001'], dir);
    assert.equal(one.code, 0);
    assert.match(one.stdout, /^# LOAD001: sync-dataloader/);
    assert.match(one.stdout, /## Why is this bad\?/);
  });
});
