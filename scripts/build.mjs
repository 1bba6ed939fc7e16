// Bundles the extension and the CLI with esbuild and copies the runtime assets (tree-sitter wasm, the
// Python harness) next to them, so dist/ is self-contained and the .vsix needs no node_modules.
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeEventTypes } from './profile-event-types.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const production = process.argv.includes('--production');
// --outdir DIR: the Node bundles and their assets only, into DIR (tests run the production CLI from there).
const outdirAt = process.argv.indexOf('--outdir');
const dist = outdirAt > 0 ? path.resolve(process.argv[outdirAt + 1]) : path.join(root, 'dist');
const nodeOnly = outdirAt > 0;
fs.mkdirSync(dist, { recursive: true });
// The harness events' TypeScript types follow their schema (docs/profiling.md, "The harness event contract").
if (writeEventTypes()) console.log('wrote src/shared/profile-event-types.ts from its schema');

const common = {
  bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: !production,
  minify: production, logLevel: 'warning', absWorkingDir: root,
  // jsonc-parser's "main" is a UMD build whose dynamic requires esbuild cannot follow; its ESM build bundles.
  mainFields: ['module', 'main'],
  // ...but web-tree-sitter's ESM build calls createRequire(import.meta.url), which is undefined in CJS output.
  alias: { 'web-tree-sitter': path.join(root, 'node_modules/web-tree-sitter/tree-sitter.cjs') },
  plugins: [{
    // apache-arrow declares "sideEffects": false, yet its Node entry installs the stream adapters that
    // RecordBatchStreamWriter.toNodeStream() (the runner's writer) needs as a side effect; keep it.
    name: 'arrow-node-adapters',
    setup(build) {
      build.onResolve({ filter: /^apache-arrow$/ }, async (args) => {
        if (args.pluginData === 'arrow') return undefined;
        const r = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: 'arrow' });
        return { path: r.path, sideEffects: true };
      });
    },
  }],
};
await Promise.all([
  esbuild.build({ ...common, entryPoints: ['src/extension.ts'], outfile: path.join(dist, 'extension.js'), external: ['vscode'] }),
  // The CLI's profile and report commands (the runner, Arrow, systeminformation: half of the code) are
  // bundles of their own, loaded when used, so `lint` and `rules` start without parsing them. The worker
  // threads of a whole-tree lint load only the analyzer.
  esbuild.build({ ...common, entryPoints: ['src/cli.ts'], outfile: path.join(dist, 'cli.js'), banner: { js: '#!/usr/bin/env node' }, external: ['./cli/profile.js', './cli/report.js', './cli/compare.js'] }),
  esbuild.build({ ...common, entryPoints: { profile: 'src/cli/profile.ts', report: 'src/cli/report.ts', compare: 'src/cli/compare.ts' }, outdir: path.join(dist, 'cli') }),
  esbuild.build({ ...common, entryPoints: ['src/cli/lint-worker.ts'], outfile: path.join(dist, 'lint-worker.js') }),
  // The dashboard webview (browser): one IIFE script and one CSS file in media/dist/, the only folder the
  // webview may load from. Always minified and without a source map: the exported report inlines both
  // files, and the bundle size is budgeted (scripts/bench-dashboard.mjs). The metafile (what is in the
  // bundle, for size work) goes to dist/, not media/, so it is not shipped to the webview.
  nodeOnly || esbuild.build({
    entryPoints: { dashboard: 'webview/main.ts' }, outdir: 'media/dist', bundle: true, platform: 'browser',
    target: ['chrome114'], format: 'iife', minify: true, sourcemap: false, legalComments: 'none',
    logLevel: 'warning', absWorkingDir: root, metafile: true,
  }).then((r) => fs.writeFileSync(path.join(dist, 'dashboard.meta.json'), JSON.stringify(r.metafile))),
  nodeOnly || esbuild.build({
    entryPoints: { dashboard: 'webview/dashboard.css' }, outdir: 'media/dist', bundle: true, minify: true,
    logLevel: 'warning', absWorkingDir: root,
  }),
]);
fs.chmodSync(path.join(dist, 'cli.js'), 0o755);

const copy = (from, to) => fs.copyFileSync(path.join(root, from), path.join(dist, to));
copy('node_modules/web-tree-sitter/tree-sitter.wasm', 'tree-sitter.wasm');
copy('node_modules/tree-sitter-python/tree-sitter-python.wasm', 'tree-sitter-python.wasm');
// Loaded by path, not bundled: after its wasm instance aborts, the parser loads a fresh copy (src/analyzers/engine/parser.ts).
copy('node_modules/web-tree-sitter/tree-sitter.cjs', 'web-tree-sitter.js');
// The RUN codes' descriptions, shown on their docs pages in VS Code.
copy('docs/runtime-findings.md', 'runtime-findings.md');
const harness = path.join(root, 'src/runner/python');
if (fs.existsSync(harness)) {
  fs.cpSync(harness, path.join(dist, 'python'), { recursive: true, filter: (p) => !p.includes('__pycache__') });
  // The event contract, read by the harness (pd_events.py) from beside its files.
  copy('src/shared/profile-events.schema.json', 'python/profile-events.schema.json');
}
console.log(`built ${production ? 'production ' : ''}bundles in ${path.relative(root, dist)}/`);
