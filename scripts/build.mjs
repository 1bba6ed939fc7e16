// Bundles the extension and the CLI with esbuild and copies the runtime assets (tree-sitter wasm, the
// Python harness) next to them, so dist/ is self-contained and the .vsix needs no node_modules.
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const production = process.argv.includes('--production');
fs.mkdirSync(dist, { recursive: true });

const common = {
  bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: !production,
  minify: production, logLevel: 'warning', absWorkingDir: root,
  // jsonc-parser's "main" is a UMD build whose dynamic requires esbuild cannot follow; its ESM build bundles.
  mainFields: ['module', 'main'],
};
await Promise.all([
  esbuild.build({ ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] }),
  esbuild.build({ ...common, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } }),
]);
fs.chmodSync(path.join(dist, 'cli.js'), 0o755);

const copy = (from, to) => fs.copyFileSync(path.join(root, from), path.join(dist, to));
copy('node_modules/web-tree-sitter/tree-sitter.wasm', 'tree-sitter.wasm');
copy('node_modules/tree-sitter-python/tree-sitter-python.wasm', 'tree-sitter-python.wasm');
const harness = path.join(root, 'src/runner/python');
if (fs.existsSync(harness)) {
  fs.cpSync(harness, path.join(dist, 'python'), { recursive: true, filter: (p) => !p.includes('__pycache__') });
}
console.log(`built ${production ? 'production ' : ''}bundles in ${path.relative(root, dist)}/`);
