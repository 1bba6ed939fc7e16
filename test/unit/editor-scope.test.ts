// Which files the editor analyses and scans (src/editor/scope.ts is pure).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { IgnoreRules } from '../../src/analyzers/workspace/ignore';
import { enclosingVirtualEnv, excludedByGlobs, ignoredByRules, inAlwaysSkippedFolder, relativeTo } from '../../src/editor/scope';

it('matches pipelineDoctor.exclude globs against workspace-relative paths', () => {
  assert.equal(excludedByGlobs('excluded/a/train.py', ['excluded/**']), true);
  assert.equal(excludedByGlobs('src/excluded.py', ['excluded/**']), false);
  assert.equal(excludedByGlobs('deep/x/generated_model.py', ['**/generated_*.py']), true);
  assert.equal(excludedByGlobs('conf/a.json', ['*.json']), true);
  assert.equal(excludedByGlobs('data/raw/x.py', ['./data/']), true);
  assert.equal(excludedByGlobs('train.py', []), false);
});

it('folder-only .gitignore patterns exclude the files below them', () => {
  const rules = new IgnoreRules();
  rules.add('build_out/\n*.tmp.py\n');
  assert.equal(ignoredByRules(rules, 'build_out/generated_train.py'), true);
  assert.equal(ignoredByRules(rules, 'a/b/x.tmp.py'), true);
  assert.equal(ignoredByRules(rules, 'build_out.py'), false);
});

it('skips the ALWAYS_SKIPPED folders at any depth', () => {
  assert.equal(inAlwaysSkippedFolder('.venv/lib/torch/x.py'), true);
  assert.equal(inAlwaysSkippedFolder('pkg/node_modules/a.json'), true);
  assert.equal(inAlwaysSkippedFolder('venv.py'), false);
});

it('finds the virtual environment (pyvenv.cfg) around a file, within the workspace only', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-scope-'));
  fs.mkdirSync(path.join(root, 'myenv/bin'), { recursive: true });
  fs.writeFileSync(path.join(root, 'myenv/pyvenv.cfg'), 'home = /usr/bin\n');
  assert.equal(enclosingVirtualEnv(path.join(root, 'myenv/bin/x.py'), root), path.join(root, 'myenv'));
  assert.equal(enclosingVirtualEnv(path.join(root, 'train.py'), root), undefined);
  assert.equal(enclosingVirtualEnv('/elsewhere/x.py', root), undefined);
  assert.equal(relativeTo(root, path.join(root, 'a', 'b.py')), 'a/b.py');
  assert.equal(relativeTo(root, '/elsewhere/x.py'), undefined);
  fs.rmSync(root, { recursive: true, force: true });
});
