// package.json's contributions and the code agree: every contributed command is in the one command
// table (src/editor/commands.ts) and every table entry is contributed; every contributed setting is
// read by the one config module (src/editor/config.ts) and every setting read there is contributed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';

const ROOT = path.resolve(__dirname, '../../..');
const read = (rel: string) => fs.readFileSync(path.join(ROOT, rel), 'utf8');

interface Manifest {
  main?: string;
  activationEvents?: string[];
  capabilities?: { untrustedWorkspaces?: { supported?: unknown } };
  extensionKind?: string[];
  contributes: {
    commands: Array<{ command: string; title: string; category?: string }>;
    configuration: { properties: Record<string, unknown> };
    menus?: Record<string, Array<{ command: string }>>;
  };
}

const manifest = JSON.parse(read('package.json')) as Manifest;
const sorted = (xs: Iterable<string>) => [...new Set(xs)].sort();

function tableCommandIds(): string[] {
  const source = read('src/editor/commands.ts');
  const table = /export const COMMANDS[^=]*=\s*\[([\s\S]*?)\n\];/.exec(source);
  assert.ok(table, 'src/editor/commands.ts has an `export const COMMANDS = [...]` table');
  return [...table[1].matchAll(/\bid:\s*'([^']+)'/g)].map((m) => m[1]);
}

function settingKeysRead(): string[] {
  const source = read('src/editor/config.ts');
  const section = /CONFIG_SECTION = '([^']+)'/.exec(source)?.[1];
  assert.equal(section, 'pipelineDoctor');
  return [...source.matchAll(/\bsetting<[^(]*>\('([^']+)'/g)].map((m) => `${section}.${m[1]}`);
}

it('every contributed command is in the command table, and vice versa', () => {
  const contributed = manifest.contributes.commands.map((c) => c.command);
  assert.deepEqual(sorted(tableCommandIds()), sorted(contributed));
  assert.equal(tableCommandIds().length, new Set(tableCommandIds()).size, 'no duplicate ids in the table');
});

it('commands carry the "Pipeline Doctor" category and menus name only contributed commands', () => {
  for (const c of manifest.contributes.commands) assert.equal(c.category, 'Pipeline Doctor', c.command);
  const contributed = new Set(manifest.contributes.commands.map((c) => c.command));
  for (const entries of Object.values(manifest.contributes.menus ?? {})) {
    for (const e of entries) assert.ok(contributed.has(e.command), `menu entry ${e.command} is contributed`);
  }
});

it('commands are registered only through the table in src/editor/commands.ts', () => {
  const editorFiles = fs.readdirSync(path.join(ROOT, 'src/editor')).filter((f) => f.endsWith('.ts')).map((f) => `src/editor/${f}`);
  const offenders = [...editorFiles, 'src/extension.ts'].filter((f) => f !== 'src/editor/commands.ts' && /registerCommand\(/.test(read(f)));
  assert.deepEqual(offenders, []);
});

it('every contributed setting is read by src/editor/config.ts, and vice versa', () => {
  assert.deepEqual(sorted(settingKeysRead()), sorted(Object.keys(manifest.contributes.configuration.properties)));
});

it('the maxFileSizeMB default matches the analyzer default', async () => {
  const { DEFAULT_MAX_FILE_BYTES } = await import('../../src/analyzers');
  const declared = manifest.contributes.configuration.properties['pipelineDoctor.maxFileSizeMB'] as { default: number };
  assert.equal(declared.default * 1024 * 1024, DEFAULT_MAX_FILE_BYTES);
});

it('settings are read only in src/editor/config.ts', () => {
  const editorFiles = fs.readdirSync(path.join(ROOT, 'src/editor')).filter((f) => f.endsWith('.ts')).map((f) => `src/editor/${f}`);
  const offenders = [...editorFiles, 'src/extension.ts'].filter((f) => f !== 'src/editor/config.ts' && /getConfiguration\(\s*['"]pipelineDoctor/.test(read(f)));
  assert.deepEqual(offenders, []);
});

it('the manifest activates on our languages, supports untrusted workspaces in a limited way, and is not UI-only', () => {
  assert.equal(manifest.main, './dist/extension.js');
  for (const e of ['onLanguage:python', 'onLanguage:yaml', 'onLanguage:json', 'onLanguage:jsonc', 'onNotebook:jupyter-notebook']) {
    assert.ok(manifest.activationEvents?.includes(e), e);
  }
  assert.equal(manifest.capabilities?.untrustedWorkspaces?.supported, 'limited');
  assert.ok(!manifest.extensionKind?.includes('ui') || manifest.extensionKind.includes('workspace'));
});
