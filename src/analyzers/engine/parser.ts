// Loads web-tree-sitter and the Python grammar once per process. The wasm files sit next to the bundle
// in dist/ (copied by scripts/build.mjs); from compiled tests they come from node_modules.
import fs from 'node:fs';
import path from 'node:path';
import { Language, Parser, type Tree } from 'web-tree-sitter';
import { withLineFeeds } from './text';

let ready: Promise<Parser> | undefined;
let loaded: Parser | undefined;

function locate(file: string, packagePath: string): string {
  const candidates = [path.join(__dirname, file), path.join(__dirname, '..', file)];
  for (const c of candidates) if (fs.existsSync(c)) return c;
  return require.resolve(packagePath);
}

/** The shared parser; the grammar loads on first use (about 20 ms). */
export function pythonParser(): Promise<Parser> {
  ready ??= (async () => {
    await Parser.init({
      locateFile: (name: string) => locate(name, `web-tree-sitter/${name}`),
    });
    const language = await Language.load(locate('tree-sitter-python.wasm', 'tree-sitter-python/tree-sitter-python.wasm'));
    const parser = new Parser();
    parser.setLanguage(language);
    loaded = parser;
    return parser;
  })();
  return ready;
}

export async function parsePython(text: string, previous?: Tree): Promise<Tree> {
  const parser = await pythonParser();
  const tree = parser.parse(withLineFeeds(text), previous);
  if (!tree) throw new Error('tree-sitter returned no tree');
  return tree;
}

/**
 * Parses synchronously once the grammar is loaded (any `await pythonParser()` before): rules resolve
 * other project modules while they run, and rules are synchronous.
 */
export function parsePythonSync(text: string): Tree {
  if (!loaded) throw new Error('the Python grammar is not loaded yet (await pythonParser() first)');
  const tree = loaded.parse(withLineFeeds(text));
  if (!tree) throw new Error('tree-sitter returned no tree');
  return tree;
}
