// The layering README.md's Development section describes, enforced: only src/editor/ and src/extension.ts import `vscode`;
// src/shared/ imports nothing of ours; webview/ imports only src/shared/.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';

const ROOT = path.resolve(__dirname, '../../..');

function sources(dir: string): string[] {
  const abs = path.join(ROOT, dir);
  if (!fs.existsSync(abs)) return [];
  return fs.readdirSync(abs, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(ts|mts|js)$/.test(f))
    .map((f) => path.join(dir, f));
}

const imports = (file: string) =>
  [...fs.readFileSync(path.join(ROOT, file), 'utf8').matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|require\(\s*['"]([^'"]+)['"]\s*\)|import\(\s*['"]([^'"]+)['"]\s*\)/g)]
    .map((m) => m[1] ?? m[2] ?? m[3]);

it('only src/editor/ and src/extension.ts import vscode', () => {
  const offenders = sources('src').filter((f) => !f.startsWith('src/editor/') && f !== 'src/extension.ts' && imports(f).includes('vscode'));
  assert.deepEqual(offenders, []);
});

it('no rule touches the disk: what a rule needs from other files comes through the project index', () => {
  const offenders = sources('src/analyzers/rules').filter((f) => imports(f).some((i) => /^(node:)?fs(\/promises)?$/.test(i)));
  assert.deepEqual(offenders, []);
});

it('src/shared imports nothing of ours outside src/shared', () => {
  const offenders = sources('src/shared').filter((f) => imports(f).some((i) => i.startsWith('.') && !path.resolve(path.dirname(path.join(ROOT, f)), i).startsWith(path.join(ROOT, 'src/shared'))));
  assert.deepEqual(offenders, []);
});

it('webview/ imports only src/shared among our modules', () => {
  const offenders = sources('webview').filter((f) => imports(f).some((i) => {
    if (!i.startsWith('.')) return false;
    const target = path.resolve(path.dirname(path.join(ROOT, f)), i);
    return !target.startsWith(path.join(ROOT, 'webview')) && !target.startsWith(path.join(ROOT, 'src/shared'));
  }));
  assert.deepEqual(offenders, []);
});

it('comments and rule docs cite the project\'s own docs, not design files that are not in the repository', () => {
  const outside = /\b(?:RULES|PROFILING|DESIGN|TESTING)\.md\b/;
  const offenders = ['src', 'scripts', 'test', 'webview'].flatMap((dir) => {
    const abs = path.join(ROOT, dir);
    return fs.readdirSync(abs, { recursive: true, encoding: 'utf8' })
      .filter((f) => /\.(ts|mts|mjs|js|py|ya?ml|json)$/.test(f) && !f.includes('node_modules'))
      .map((f) => path.join(dir, f))
      .filter((f) => fs.statSync(path.join(ROOT, f)).isFile() && outside.test(fs.readFileSync(path.join(ROOT, f), 'utf8')));
  });
  assert.deepEqual(offenders, []);
});
