// What a user outside this repository installs and copies: the npm package from `npm pack` holds the
// CLI and everything it loads, the manifest names its licence and repository, and the README's GitHub
// Actions snippet can work as written.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import YAML from 'yaml';

const ROOT = path.resolve(__dirname, '../../..');
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  name: string; version: string; license: string; repository?: { url?: string }; bin: Record<string, string>;
};

it('npm pack holds the CLI, its lazily loaded bundles and the files they read at run time', () => {
  assert.ok(fs.existsSync(path.join(ROOT, 'dist/cli.js')), 'dist/ is built (npm run build)');
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const packed = new Set((JSON.parse(r.stdout) as Array<{ files: Array<{ path: string }> }>)[0].files.map((f) => f.path));
  const needed = [
    ...Object.values(manifest.bin).map((p) => path.posix.normalize(p)),
    'dist/cli/profile.js', 'dist/cli/report.js', 'dist/lint-worker.js', 'dist/tree-sitter.wasm', 'dist/tree-sitter-python.wasm',
    'dist/runtime-findings.md', 'media/dist/dashboard.js', 'media/dist/dashboard.css', 'LICENSE', 'README.md',
    // The harness: every module the build copies, and the event contract it reads at start-up.
    ...fs.readdirSync(path.join(ROOT, 'src/runner/python')).filter((f) => f.endsWith('.py')).map((f) => `dist/python/${f}`),
    'dist/python/profile-events.schema.json',
  ];
  assert.deepEqual(needed.filter((p) => !packed.has(p)), []);
  assert.deepEqual([...packed].filter((p) => p.endsWith('.map') || p.startsWith('src/') || p.startsWith('test/')), []);
});

it('ships an MIT LICENSE and names the repository, as vsce asks', () => {
  assert.equal(manifest.license, 'MIT');
  assert.match(fs.readFileSync(path.join(ROOT, 'LICENSE'), 'utf8'), /^MIT License\n/);
  assert.match(manifest.repository?.url ?? '', /^https:\/\//);
});

it("the README's GitHub Actions snippet uploads SARIF even with findings and installs the packed CLI", () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const block = /```yaml\n([\s\S]*?)```/.exec(readme.replace(/^ {2}/gm, ''));
  assert.ok(block, 'a yaml block in the README');
  const job = YAML.parse(block[1]) as { permissions?: Record<string, string>; steps: Array<{ run?: string; uses?: string; if?: string }> };
  const steps = job.steps;
  const sarif = steps.findIndex((s) => /pipeline-doctor lint .*--format sarif/.test(s.run ?? ''));
  const upload = steps.findIndex((s) => (s.uses ?? '').startsWith('github/codeql-action/upload-sarif'));
  assert.ok(sarif >= 0 && upload > sarif, 'a SARIF step, then the upload');
  assert.ok(/--fail-on never/.test(steps[sarif].run ?? '') || /always\(\)/.test(steps[upload].if ?? ''),
    'lint exits 1 with findings: without --fail-on never (or if: always()) the upload is skipped');
  assert.equal(job.permissions?.['security-events'], 'write', 'upload-sarif needs security-events: write');
  // The package is not published: the CLI comes from the file `npm pack` writes.
  assert.ok(!steps.some((s) => /npx pipeline-doctor/.test(s.run ?? '')), 'npx would fetch an unpublished package');
  const install = steps.findIndex((s) => /npm install -g/.test(s.run ?? ''));
  assert.ok(install >= 0 && install < sarif, 'the CLI is installed before it runs');
  assert.ok((steps[install].run ?? '').includes(`${manifest.name}-${manifest.version}.tgz`), 'the file name npm pack writes');
});
