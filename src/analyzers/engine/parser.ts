// Loads web-tree-sitter and the Python grammar once per thread, and again after the wasm instance
// aborts. The wasm files and web-tree-sitter's own script sit next to the bundle in dist/ (copied by
// scripts/build.mjs); from compiled tests they come from node_modules.
//
// Why web-tree-sitter is loaded by path rather than imported: its wasm instance is module state, and an
// instance that aborted (it runs out of its 2 GB of wasm memory on a 50 MB file, once the size limit is
// raised) stays aborted: every later parse, even with a new Parser, throws `Aborted()`. Only a fresh
// copy of the script gives a fresh instance, and a bundled import cannot be evaluated twice.
import fs from 'node:fs';
import path from 'node:path';
import type { Parser, Tree } from 'web-tree-sitter';
import { withLineFeeds } from './text';

type WebTreeSitter = typeof import('web-tree-sitter');

interface Instance {
  binding: WebTreeSitter;
  parser: Parser;
  /** Set by the module's onAbort hook: nothing from this instance may be called again. */
  aborted: boolean;
}

let ready: Promise<Instance> | undefined;
let loaded: Instance | undefined;
let generation = 0;

function locate(file: string, packagePath: string): string {
  const candidates = [path.join(__dirname, file), path.join(__dirname, '..', file)];
  for (const c of candidates) if (fs.existsSync(c)) return c;
  return require.resolve(packagePath);
}

/** A copy of web-tree-sitter that shares no state with any copy loaded before. */
function freshBinding(): WebTreeSitter {
  const file = require.resolve(locate('web-tree-sitter.js', 'web-tree-sitter'));
  delete require.cache[file];
  const binding = require(file) as WebTreeSitter;
  keepNodeTypes(binding.Node);
  return binding;
}

/**
 * `node.type` asks wasm for the node's symbol on every read, and rules read the types of the same node
 * objects over and over (`unwrap`, `dottedName`, argument lists: about 550 reads per file of the lint
 * benchmark, three quarters of them repeats). A node's type never changes within its tree, so the first
 * read is kept on the node object. (Trees are only `edit()`ed after their analysis, as in syntax.ts.)
 */
function keepNodeTypes(nodeClass: WebTreeSitter['Node']): void {
  const proto = nodeClass.prototype as { type: string; pdType?: string };
  const read = Object.getOwnPropertyDescriptor(proto, 'type')?.get;
  if (!read) return;
  Object.defineProperty(proto, 'type', {
    configurable: true,
    get(this: { pdType?: string }) {
      return (this.pdType ??= read.call(this) as string);
    },
  });
}

async function load(): Promise<Instance> {
  const binding = freshBinding();
  const instance: Partial<Instance> & { aborted: boolean } = { binding, aborted: false };
  await binding.Parser.init({
    locateFile: (name: string) => locate(name, `web-tree-sitter/${name}`),
    onAbort: () => {
      instance.aborted = true;
    },
  });
  const language = await binding.Language.load(locate('tree-sitter-python.wasm', 'tree-sitter-python/tree-sitter-python.wasm'));
  const parser = new binding.Parser();
  parser.setLanguage(language);
  instance.parser = parser;
  return instance as Instance;
}

/** The shared instance; the grammar loads on first use (about 20 ms), and again after an abort. */
function instance(): Promise<Instance> {
  if (loaded?.aborted) {
    // Dropping every reference lets the dead instance's wasm memory be collected.
    ready = undefined;
    loaded = undefined;
  }
  ready ??= load().then(
    (i) => {
      loaded = i;
      generation++;
      return i;
    },
    (e: unknown) => {
      ready = undefined;
      throw e;
    },
  );
  return ready;
}

/** The shared parser, loaded (or reloaded after an abort) when needed. */
export async function pythonParser(): Promise<Parser> {
  return (await instance()).parser;
}

/**
 * Counts the wasm instances loaded so far: trees and nodes of an earlier generation belong to an
 * instance that aborted, and must not be used (caches holding them start over).
 */
export function parserGeneration(): number {
  return generation;
}

function parseWith(i: Instance, text: string, previous?: Tree): Tree {
  let tree: Tree | null;
  try {
    tree = i.parser.parse(withLineFeeds(text), previous); // a lone CR ends a line here as in LineIndex (text.ts)
  } catch (e) {
    if (i.aborted) throw new Error(`tree-sitter ran out of memory (${(text.length / 1048576).toFixed(1)} MB of text); the parser was restarted for the next file`);
    throw e;
  }
  if (!tree) throw new Error('tree-sitter returned no tree');
  return tree;
}

export async function parsePython(text: string, previous?: Tree): Promise<Tree> {
  const i = await instance();
  // A tree kept from an instance that has since aborted cannot seed an incremental parse.
  const usable = previous instanceof i.binding.Tree ? previous : undefined;
  return parseWith(i, text, usable);
}

/**
 * Parses synchronously once the grammar is loaded (any `await pythonParser()` before): rules resolve
 * other project modules while they run, and rules are synchronous.
 */
export function parsePythonSync(text: string): Tree {
  if (!loaded || loaded.aborted) throw new Error('the Python grammar is not loaded yet (await pythonParser() first)');
  return parseWith(loaded, text);
}
