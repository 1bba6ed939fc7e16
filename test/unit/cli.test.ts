// The CLI as users run it: a real subprocess over real files.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import type { Log } from 'sarif';

const CLI = path.resolve(__dirname, '../../src/cli.js');
const ROOT = path.resolve(__dirname, '../../..');

function cli(args: string[], cwd: string, entry = CLI) {
  const r = spawnSync(process.execPath, [entry, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A notebook whose LOAD001 finding is in cell 2 (0-based), after a markdown cell, and whose cell 3 has a syntax error. */
function notebook(dir: string, name = 'nb.ipynb'): string {
  const code = (source: string) => ({ cell_type: 'code', metadata: {}, outputs: [], execution_count: null, source });
  fs.writeFileSync(path.join(dir, name), JSON.stringify({
    cells: [
      code('from torch.utils.data import DataLoader'),
      { cell_type: 'markdown', metadata: {}, source: '# training' },
      code('loader = DataLoader(ds, batch_size=8)\nfor b in loader:\n    opt.zero_grad()\n    model(b).backward()\n    opt.step()'),
      code('x = 1\ndef broken(:\n    pass'),
    ],
    metadata: {}, nbformat: 4, nbformat_minor: 5,
  }));
  return name;
}

/** Processes running this test's CLI, from /proc. */
function childCount(): number {
  return fs.readdirSync('/proc').filter((pid) => /^\d+$/.test(pid)).filter((pid) => {
    try {
      // This checkout's CLI only: other checkouts on the machine may be running theirs.
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(CLI);
    } catch {
      return false;
    }
  }).length;
}

function project(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-cli-'));
  fs.mkdirSync(path.join(dir, 'src'));
  fs.writeFileSync(path.join(dir, 'src/train.py'), [
    // images decoded per item: a warning (over tensors already in memory LOAD001 is info)
    'from torch.utils.data import DataLoader; from torchvision.datasets import ImageFolder',
    'def train(root, model, opt):',
    '    loader = DataLoader(ImageFolder(root), batch_size=8)',
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

  it('names each SARIF result\'s message by id, with the rule\'s template in messageStrings and its values as arguments', () => {
    const dir = project();
    // A DeepSpeed config in FP32: a message with literal braces (`"bf16": {"enabled": true}`) and no placeholder.
    fs.copyFileSync(path.join(ROOT, 'test/rules/fixtures/HW007/ds_fp32.json'), path.join(dir, 'src/ds_config.json'));
    const log = JSON.parse(cli(['lint', 'src', '--format', 'sarif'], dir).stdout) as Log;
    const results = log.runs[0].results!;
    assert.deepEqual(results.map((r) => `${r.ruleId}.${r.message.id}`).sort(), ['HW007.deepspeedFp32', 'LOAD001.trainingLoader']);
    for (const result of results) {
      const template = log.runs[0].tool.driver.rules![result.ruleIndex!].messageStrings![result.message.id!].text;
      // SARIF 2.1.0 §3.11.5: `{n}` is the n-th argument, `{{` and `}}` are literal braces.
      const filled = template.replace(/\{\{|\}\}|\{(\d+)\}/g, (m, i?: string) => (i !== undefined ? result.message.arguments![Number(i)] : m[0]));
      assert.equal(filled, result.message.text);
      assert.doesNotMatch(template.replace(/\{\{|\}\}|\{\d+\}/g, ''), /[{}]/, 'a lone brace in a SARIF message string');
      assert.equal(result.message.arguments === undefined, !/\{\d+\}/.test(template.replace(/\{\{|\}\}/g, '')));
    }
  });

  it('emits JSON, honours --select/--ignore and --fail-on', () => {
    const dir = project();
    const json = JSON.parse(cli(['lint', 'src', '--format', 'json'], dir).stdout);
    assert.equal(json.findings[0].code, 'LOAD001');
    assert.equal(json.findings[0].messageId, 'trainingLoader');
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
    assert.match(text, /DataLoader\(ImageFolder\(root\), batch_size=8, num_workers=min\(8, os\.cpu_count\(\) or 1\), persistent_workers=True\)/);
    assert.equal(cli(['lint', 'src'], dir).code, 0);
  });

  it('wraps a call --fix makes longer than the default 88 columns when the project sets no line length', () => {
    const dir = project();
    fs.rmSync(path.join(dir, 'pyproject.toml'));
    assert.match(cli(['lint', 'src', '--fix'], dir).stdout, /applied 1 fix/);
    const text = fs.readFileSync(path.join(dir, 'src/train.py'), 'utf8');
    assert.match(text, /^import os\n\nfrom torch\.utils\.data import DataLoader; from torchvision\.datasets import ImageFolder$/m);
    assert.match(text, /^    loader = DataLoader\(\n        ImageFolder\(root\),\n        batch_size=8,\n        num_workers=min\(8, os\.cpu_count\(\) or 1\),\n        persistent_workers=True,\n    \)$/m);
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

describe('pipeline-doctor output of unusual names and notebooks', () => {
  it('keeps a file name with a newline or an escape sequence on its own line, quoted', () => {
    const dir = project();
    const train = fs.readFileSync(path.join(dir, 'src/train.py'));
    fs.writeFileSync(path.join(dir, 'src/a\nb.py'), train);
    fs.writeFileSync(path.join(dir, 'src/c\u001b[31md.py'), train);
    const r = cli(['lint', 'src'], dir);
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stdout.split('\n');
    assert.ok(lines.some((l) => l.startsWith('"src/a\\nb.py":3:14: warning LOAD001 ')), r.stdout);
    assert.ok(lines.some((l) => l.startsWith('"src/c\\u001b[31md.py":3:14: warning LOAD001 ')), r.stdout);
    assert.doesNotMatch(r.stdout, /\u001b/, 'no raw escape reaches the terminal');
    assert.ok(lines.every((l) => l === '' || /^("[^"]*"|src\/train\.py):\d+:\d+: |^\d+ findings /.test(l)), r.stdout);
  });

  it('gives a notebook syntax notice as file:cell:line, with the line counted within the cell', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-cli-nb-'));
    notebook(dir);
    const r = cli(['lint', 'nb.ipynb', '--fail-on', 'never'], dir);
    assert.match(r.stdout, /^nb\.ipynb:cell 4:2: note +syntax error at line 2 of cell 4: /m);
    const json = cli(['lint', 'nb.ipynb', '--format', 'json'], dir);
    const notice = (JSON.parse(json.stdout) as { notices: Array<{ cell: number; line: number }> }).notices[0];
    assert.deepEqual([notice.cell, notice.line], [3, 1]);
    assert.match(json.stderr, /^nb\.ipynb:cell 4:2: syntax error at line 2 of cell 4/);
  });

  it('counts notebook cells from 0 in JSON and SARIF alike', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-cli-nb-'));
    notebook(dir);
    const json = JSON.parse(cli(['lint', 'nb.ipynb', '--format', 'json'], dir).stdout) as { findings: Array<{ code: string; cell: number }> };
    const sarif = JSON.parse(cli(['lint', 'nb.ipynb', '--format', 'sarif'], dir).stdout) as Log;
    const fromJson = json.findings.find((f) => f.code === 'LOAD001')!;
    const fromSarif = sarif.runs[0].results!.find((x) => x.ruleId === 'LOAD001')!;
    assert.equal(fromJson.cell, 2);
    assert.equal(fromSarif.properties!.cell, fromJson.cell);
  });

  it('writes SARIF artifact URIs as percent-encoded relative references', () => {
    const dir = project();
    const train = fs.readFileSync(path.join(dir, 'src/train.py'));
    fs.mkdirSync(path.join(dir, 'my data'));
    fs.writeFileSync(path.join(dir, 'my data/tr#in 100%ü.py'), train);
    const log = JSON.parse(cli(['lint', 'my data', '--format', 'sarif'], dir).stdout) as Log;
    const uris = log.runs[0].results!.map((x) => x.locations![0].physicalLocation!.artifactLocation!.uri);
    assert.deepEqual(uris, ['my%20data/tr%23in%20100%25%C3%BC.py']);
    assert.equal(decodeURIComponent(uris[0]!), 'my data/tr#in 100%ü.py');
  });
});

describe('pipeline-doctor arguments', () => {
  it('takes --help in every command', () => {
    for (const command of ['lint', 'rules', 'profile', 'report']) {
      for (const flag of ['--help', '-h']) {
        const r = cli([command, flag], os.tmpdir());
        assert.equal(r.code, 0, `${command} ${flag}: ${r.stderr}`);
        assert.match(r.stdout, new RegExp(`^Usage: pipeline-doctor ${command} `), command);
      }
    }
    const top = cli(['--help'], os.tmpdir());
    assert.equal(top.code, 0);
    assert.match(top.stdout, /^Usage: pipeline-doctor <command>/);
  });

  it('treats what follows -- as paths, and an empty path as a usage error', () => {
    const dir = project();
    fs.copyFileSync(path.join(dir, 'src/train.py'), path.join(dir, '-x.py'));
    const r = cli(['lint', '--format', 'json', '--', '-x.py'], dir);
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual((JSON.parse(r.stdout) as { findings: Array<{ file: string }> }).findings.map((f) => f.file), ['-x.py']);
    const empty = cli(['lint', ''], dir);
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /^pipeline-doctor: an empty path/);
  });
});

describe('pipeline-doctor errors in the production (minified) build', () => {
  const built = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-cli-prod-'));
  const PROD = path.join(built, 'dist/cli.js');
  before(() => {
    const b = spawnSync(process.execPath, [path.join(ROOT, 'scripts/build.mjs'), '--production', '--outdir', path.join(built, 'dist')], { encoding: 'utf8' });
    assert.equal(b.status, 0, b.stderr);
    // The report bundle finds the dashboard assets beside its folder, as in an installed package.
    fs.cpSync(path.join(ROOT, 'media/dist'), path.join(built, 'media/dist'), { recursive: true });
  });

  /** One line on stderr, no stack frame. */
  const assertOneLine = (stderr: string, what: string) => {
    assert.match(stderr, /^pipeline-doctor[^\n]*: [^\n]+\n$/, `${what}: ${stderr}`);
    assert.doesNotMatch(stderr, /\n\s+at /, what);
  };

  it('exits 2 with one line, no stack trace, on usage errors of lint, rules and report', () => {
    const dir = project();
    const cases = [['lint'], ['lint', 'src', '--format', 'xml'], ['lint', 'nope'], ['lint', 'src', '--select', 'XYZ9'], ['lint', '--bogus', 'src'],
      ['rules', 'XYZ001'], ['rules', '--bogus'], ['rules', 'LOAD001', 'LOAD002'],
      ['report'], ['report', 'run'], ['report', 'run', '--bogus'], ['report', 'run', '--out', 'src'], ['profile', ''], ['profile', 'x.py', '--python', ''], ['frobnicate']];
    for (const entry of [PROD, CLI]) {
      for (const args of cases) {
        const r = cli(args, dir, entry);
        assert.equal(r.code, 2, `${entry} ${args.join(' ')}: ${r.stderr}`);
        assertOneLine(r.stderr, args.join(' '));
      }
    }
  });

  it('exits 1 with one line, no stack trace, on a damaged run folder or an --out it cannot write', () => {
    const dir = project();
    fs.mkdirSync(path.join(dir, 'damaged'));
    fs.writeFileSync(path.join(dir, 'damaged/summary.json'), '{"verdict": "fa');
    fs.mkdirSync(path.join(dir, 'empty'));
    fs.writeFileSync(path.join(dir, 'afile'), 'x');
    for (const entry of [PROD, CLI]) {
      for (const args of [['report', 'damaged', '--out', 'r.html'], ['report', 'empty', '--out', 'r.html'], ['report', 'nowhere', '--out', 'r.html']]) {
        const r = cli(args, dir, entry);
        assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
        assertOneLine(r.stderr, args.join(' '));
        assert.match(r.stderr, /summary\.json/);
        // A run folder left without its summary (the CLI killed mid-run) is explained, not reported as ENOENT.
        if (args[1] === 'empty') assert.match(r.stderr, /no summary\.json: this run was never summarised/);
      }
      const profileOut = cli(['profile', 'src/train.py', '--out', 'afile'], dir, entry);
      assert.equal(profileOut.code, 2, profileOut.stderr);
      assertOneLine(profileOut.stderr, 'profile --out afile');
      assert.match(profileOut.stderr, /--out names a file/);
      const profileReport = cli(['profile', 'src/train.py', '--report', 'empty'], dir, entry);
      assert.equal(profileReport.code, 2, profileReport.stderr);
      assertOneLine(profileReport.stderr, 'profile --report empty');
      assert.match(profileReport.stderr, /--report names a folder/);
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
