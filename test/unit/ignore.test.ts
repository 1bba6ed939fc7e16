// .gitignore matching (src/analyzers/workspace/ignore.ts) against git itself: a real repository in a
// temporary folder, `git ls-files --others --exclude-standard` as the oracle, for the CLI's walk
// (discoverFiles) and for the editor's scan filter (ignoredByRules over every file, as scan.ts does).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { discoverFiles } from '../../src/analyzers/workspace/discover';
import { IgnoreRules } from '../../src/analyzers/workspace/ignore';
import { ignoredByRules } from '../../src/editor/scope';

const CLI = path.resolve(__dirname, '../../src/cli.js');

function tree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-ignore-'));
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  execFileSync('git', ['init', '-q', root]);
  return root;
}

/** The untracked files git does not ignore, as git itself decides. */
function gitVisible(root: string): string[] {
  const out = execFileSync('git', ['ls-files', '--others', '--exclude-standard', '-z'], { cwd: root, encoding: 'utf8' });
  return out.split('\0').filter((f) => f.endsWith('.py')).sort();
}

/** What the editor's scan keeps: every file, filtered through ignoredByRules with each .gitignore at its folder. */
function scanVisible(root: string, all: string[]): string[] {
  const rules = new IgnoreRules();
  for (const g of all.filter((f) => path.posix.basename(f) === '.gitignore')) {
    const base = path.posix.dirname(g);
    rules.add(fs.readFileSync(path.join(root, g), 'utf8'), base === '.' ? '' : base);
  }
  return all.filter((f) => f.endsWith('.py') && !ignoredByRules(rules, f)).sort();
}

const PY = 'import torch\n';

describe('.gitignore matching', () => {
  it('agrees with git on nesting, negation, anchors, folder-only patterns and malformed brackets', async () => {
    const files: Record<string, string> = {
      '.gitignore': ['*.log.py', 'build/', '/top_only.py', '[z-a].py', '[\\]', '!keep.log.py', 'docs/**/gen_*.py', 'gone/', '# comment', 'trailing.py   ', ''].join('\n'),
      'sub/.gitignore': ['!re.log.py', 'local.py', '/anchored.py', 'gone/', '!gone/back.py', ''].join('\n'),
      'sub/deep/.gitignore': ['!local.py', ''].join('\n'),
    };
    for (const f of ['a.py', 'z.py', 'y.py', 'x.log.py', 'keep.log.py', 'build/b.py', 'sub/build/c.py', 'build.py', 'top_only.py',
      'sub/top_only.py', 'sub/re.log.py', 'sub/local.py', 'local.py', 'sub/deep/local.py', 'sub/anchored.py', 'sub/deep/anchored.py',
      'docs/a/b/gen_x.py', 'docs/gen_y.py', 'gen_z.py', 'sub/gone/back.py', 'trailing.py', '[.py', '].py']) files[f] = PY;
    const root = tree(files);
    const expected = gitVisible(root);
    // The oracle itself: z.py matches `[z-a].py` in git, and `[\]` matches nothing.
    assert.ok(!expected.includes('z.py') && expected.includes('y.py') && expected.includes('[.py'), expected.join(' '));

    const walked = (await discoverFiles(['.'], root)).map((f) => path.relative(root, f).split(path.sep).join('/')).sort();
    assert.deepEqual(walked, expected);
    const all = execFileSync('find', ['.', '-type', 'f', '-not', '-path', './.git/*'], { cwd: root, encoding: 'utf8' })
      .split('\n').filter(Boolean).map((f) => f.slice(2));
    assert.deepEqual(scanVisible(root, all), expected);
  });

  it('lint runs over a tree whose .gitignore holds patterns git tolerates ([z-a].py, [\\])', () => {
    const root = tree({ '.gitignore': '[z-a].py\n[\\]\n', 'z.py': 'from torch.utils.data import DataLoader\nloader = DataLoader(ds)\n', 'a.py': PY });
    const r = spawnSync(process.execPath, [CLI, 'lint', '.', '--format', 'json'], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /Invalid regular expression/);
    assert.equal(JSON.parse(r.stdout).findings.length, 0);
  });

  // No git oracle here: git's own wildmatch takes minutes on these patterns.
  it('many `**/` over a deep tree stay fast (no backtracking blow-up)', () => {
    const deep = Array.from({ length: 20 }, (_, i) => `d${i}`);
    const files: Record<string, string> = { '.gitignore': `${'**/'.repeat(14)}nothing_matches.py\n${'**/'.repeat(14)}d19/\n` };
    for (let i = 1; i <= deep.length; i++) files[`${deep.slice(0, i).join('/')}/train_${i}.py`] = PY;
    const root = tree(files);
    const started = performance.now();
    // A subprocess, so a catastrophic backtrack fails the test at the timeout instead of hanging it.
    const r = spawnSync(process.execPath, [CLI, 'lint', '.', '--format', 'json'], { cwd: root, encoding: 'utf8', timeout: 30_000 });
    const seconds = (performance.now() - started) / 1000;
    console.log(`lint over a 20-deep tree with 14 × **/ in .gitignore: ${seconds.toFixed(2)} s`);
    assert.equal(r.status, 0, `status ${r.status} signal ${r.signal} after ${seconds.toFixed(1)} s: ${r.stderr}`);
    assert.equal(JSON.parse(r.stdout).files, 19, 'd19/ (and the file below it) is ignored, the 19 above it are not');
    assert.ok(seconds < 10, `took ${seconds} s`);
  });
});
