// Cross-file facts: the project's own modules and config groups, read from disk on demand, so a rule can
// follow `from .data import FrameDataset` to the class, or a Hydra `callbacks: default` entry to its
// file. What cannot be resolved stays unresolved, and rules then stay silent rather than guess.
import fs from 'node:fs';
import path from 'node:path';
import { ConfigDocument } from '../config/document';
import { parserGeneration, parsePythonSync } from '../engine/parser';
import { field, type Node } from '../engine/syntax';
import { PythonModule } from '../python/module';
import { LineLengths } from './line-length';

/** Project files larger than this are not followed (generated code, vendored bundles). */
const MAX_FOLLOWED_BYTES = 512 * 1024;
/** Re-exports (`from .dataset import X` in an __init__.py) are followed this many hops. */
const MAX_HOPS = 3;
/** A folder with more Python files than this is not searched for a module's importers (a package of generated code). */
const MAX_SIBLINGS = 64;

export interface Definition {
  module: PythonModule;
  /** A class_definition or function_definition node at the top level of `module`. */
  node: Node;
}

interface Cached<T> {
  mtimeMs: number;
  size: number;
  /** The parser instance the value was made with: trees of an instance that aborted are unusable. */
  generation: number;
  value: T | undefined;
}

/** True when `file` is `root` itself or below it (both absolute and normalised). */
function within(root: string, file: string): boolean {
  const rel = path.relative(root, file);
  return rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

export class ProjectIndex {
  private readonly modules = new Map<string, Cached<PythonModule>>();
  private readonly configs = new Map<string, Cached<ConfigDocument>>();
  private readonly imported = new Map<string, { mtimeMs: number; size: number; names: ReadonlySet<string> }>();
  private realRoot: string | undefined;
  /**
   * The files do not change while this index lives (a lint run without --fix): what was read is trusted
   * without checking each file's modification time again, and lookups of module files and folder listings
   * are kept. The editor's index never sets it: files change under it.
   */
  private unchanged = false;
  private readonly moduleFiles = new Map<string, string | undefined>();
  private readonly siblings = new Map<string, string[] | undefined>();

  private readonly lineLengths: LineLengths;

  constructor(readonly root: string) {
    this.lineLengths = new LineLengths(root);
  }

  /** Trust what was read for the rest of this index's life (see `unchanged`). */
  assumeUnchanged(): void {
    this.unchanged = true;
  }

  /** The line length the project's formatter uses for `file` (relative to the root, or absolute). */
  lineLengthFor(file: string): number {
    return this.lineLengths.forFile(path.resolve(this.root, file));
  }

  /**
   * True when `file` lies inside the project root once `..` segments and symbolic links are resolved.
   * The project's files are named by what is analysed (a Hydra defaults entry, a relative import), and
   * that text may come from anyone: `- callbacks: ../../../../tmp/x` must not make the linter read, and
   * report from, a file outside the workspace it was pointed at.
   */
  contains(file: string): boolean {
    const abs = path.resolve(this.root, file);
    if (!within(path.resolve(this.root), abs)) return false;
    try {
      this.realRoot ??= fs.realpathSync.native(this.root);
      return within(this.realRoot, fs.realpathSync.native(abs));
    } catch {
      return false;
    }
  }

  /** Reads and caches a file that `contains` has already admitted. */
  private load<T>(cache: Map<string, Cached<T>>, file: string, make: (text: string) => T | undefined): T | undefined {
    const known = this.unchanged ? cache.get(file) : undefined;
    if (known && known.generation === parserGeneration()) return known.value;
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch {
      return undefined;
    }
    if (!stat.isFile() || stat.size > MAX_FOLLOWED_BYTES) return undefined;
    const hit = cache.get(file);
    if (hit && hit.mtimeMs === stat.mtimeMs && hit.size === stat.size && hit.generation === parserGeneration()) return hit.value;
    let value: T | undefined;
    try {
      value = make(fs.readFileSync(file, 'utf8'));
    } catch {
      value = undefined;
    }
    cache.set(file, { mtimeMs: stat.mtimeMs, size: stat.size, generation: parserGeneration(), value });
    return value;
  }

  pythonModule(file: string): PythonModule | undefined {
    return this.contains(file) ? this.moduleAt(file) : undefined;
  }

  /** A module file that moduleFile found, and so already checked to lie inside the project (resolving its links once, not twice). */
  private moduleAt(file: string): PythonModule | undefined {
    return this.load(this.modules, file, (text) => new PythonModule(path.relative(this.root, file), text, parsePythonSync(text), this));
  }

  config(file: string): ConfigDocument | undefined {
    if (!this.contains(file)) return undefined;
    return this.load(this.configs, file, (text) => {
      const doc = new ConfigDocument(file, text, /\.ya?ml$/i.test(file) ? 'yaml' : 'json');
      return doc.root ? doc : undefined;
    });
  }

  /**
   * The file a Hydra defaults entry `- <group>: <choice>` selects for the config at `configFile`:
   * `<group>/<choice>.yaml` (or `.yml`) in the config's folder or up to two folders above it (experiment
   * files sit below the primary config), inside the project. Undefined when there is none.
   */
  hydraGroupFile(configFile: string, group: string, choice: string): string | undefined {
    let dir = path.dirname(path.resolve(this.root, configFile));
    for (let up = 0; up < 3 && dir.startsWith(this.root); up++, dir = path.dirname(dir)) {
      for (const ext of ['.yaml', '.yml']) {
        const file = path.join(dir, group, choice + ext);
        if (fs.existsSync(file)) return file;
      }
    }
    return undefined;
  }

  /**
   * The file of a module named in `fromFile`: relative (`.data`, `..utils.io`) or absolute within the
   * project (`mypkg.data`, tried from the project root, its `src/`, and the importing file's folder,
   * which is sys.path[0] for a script).
   */
  moduleFile(fromFile: string, moduleName: string): string | undefined {
    if (!this.unchanged) return this.findModuleFile(fromFile, moduleName);
    // The candidates depend on the importing file's folder only.
    const key = `${path.dirname(path.resolve(this.root, fromFile))}\0${moduleName}`;
    if (!this.moduleFiles.has(key)) this.moduleFiles.set(key, this.findModuleFile(fromFile, moduleName));
    return this.moduleFiles.get(key);
  }

  private findModuleFile(fromFile: string, moduleName: string): string | undefined {
    const candidates: string[] = [];
    const dots = /^\.*/.exec(moduleName)![0].length;
    const parts = moduleName.slice(dots).split('.').filter(Boolean);
    if (dots > 0) {
      let base = path.dirname(path.resolve(this.root, fromFile));
      for (let i = 1; i < dots; i++) base = path.dirname(base);
      candidates.push(path.join(base, ...parts));
    } else {
      for (const base of [this.root, path.join(this.root, 'src'), path.dirname(path.resolve(this.root, fromFile))]) candidates.push(path.join(base, ...parts));
    }
    for (const c of candidates) {
      // Existence first: resolving a path that does not exist costs a thrown error.
      for (const f of [`${c}.py`, path.join(c, '__init__.py')]) if (fs.existsSync(f) && this.contains(f)) return f;
    }
    return undefined;
  }

  /**
   * The project modules beside `file` (same folder) that import it by name: `import utils`, `from engine import
   * train_one_epoch`, `from .engine import ...`, `from . import utils`. One folder, one module deep: a script and
   * the helpers it imports (a training script calling `utils.clip_gradients` every step).
   */
  importersOf(file: string): PythonModule[] {
    const abs = path.resolve(this.root, file);
    const stem = path.basename(abs, '.py');
    if (!abs.endsWith('.py') || stem === '__init__' || !/^[A-Za-z_]\w*$/.test(stem)) return [];
    const dir = path.dirname(abs);
    // Importers are only ever taken from inside the project (`contains`): a folder outside it is not listed,
    // nor its files read (a lint of files outside the working folder read every sibling of every file).
    if (!within(path.resolve(this.root), dir)) return [];
    const names = this.pythonFilesIn(dir)?.filter((n) => n !== path.basename(abs));
    if (names === undefined || names.length > MAX_SIBLINGS) return [];
    const out: PythonModule[] = [];
    for (const name of names) {
      const sibling = path.join(dir, name);
      if (!this.importedNames(sibling).has(stem) || !this.contains(sibling)) continue;
      const module = this.moduleAt(sibling);
      if (module) out.push(module);
    }
    return out;
  }

  private pythonFilesIn(dir: string): string[] | undefined {
    if (this.unchanged && this.siblings.has(dir)) return this.siblings.get(dir);
    let names: string[] | undefined;
    try {
      names = fs.readdirSync(dir).filter((n) => n.endsWith('.py'));
    } catch {
      names = undefined;
    }
    if (this.unchanged) this.siblings.set(dir, names);
    return names;
  }

  /**
   * The bare module names a file imports (`import utils, engine`, `from engine import x`, `from .engine import x`,
   * `from . import utils`), read from its text and cached by size and modification time: every module of a folder
   * asks about every sibling.
   */
  private importedNames(file: string): ReadonlySet<string> {
    const known = this.unchanged ? this.imported.get(file) : undefined;
    if (known) return known.names;
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch {
      return new Set();
    }
    const hit = this.imported.get(file);
    if (hit && hit.mtimeMs === stat.mtimeMs && hit.size === stat.size) return hit.names;
    const names = new Set<string>();
    if (stat.isFile() && stat.size <= MAX_FOLLOWED_BYTES) {
      let text = '';
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch {
        text = '';
      }
      for (const m of text.matchAll(/^[ \t]*import[ \t]+([\w. \t,]+)/gm)) for (const n of m[1].split(',')) names.add(n.trim().split(/[\s.]/)[0]);
      for (const m of text.matchAll(/^[ \t]*from[ \t]+\.?(\w+)[ \t]+import\b/gm)) names.add(m[1]);
      for (const m of text.matchAll(/^[ \t]*from[ \t]+\.[ \t]+import[ \t]+([\w \t,]+)/gm)) for (const n of m[1].split(',')) names.add(n.trim().split(/\s/)[0]);
    }
    this.imported.set(file, { mtimeMs: stat.mtimeMs, size: stat.size, names });
    return names;
  }

  /** The class or function a qualified name (as the import table resolves it in `fromFile`) defines in the project. */
  definition(fromFile: string, qualified: string, hops = 0): Definition | undefined {
    if (hops > MAX_HOPS) return undefined;
    const parts = qualified.split('.');
    const dots = /^\.*/.exec(qualified)![0].length;
    // Longest module prefix first: `pkg.data.Frames` is class Frames in pkg/data.py before module pkg/data/Frames.py.
    for (let cut = parts.length - 1; cut > dots; cut--) {
      const moduleName = parts.slice(0, cut).join('.');
      const name = parts[cut];
      const file = this.moduleFile(fromFile, moduleName);
      if (!file) continue;
      const module = this.moduleAt(file);
      if (!module) return undefined;
      const local = [...module.classes, ...module.functions].find((d) => field(d, 'name')?.text === name && isTopLevel(d));
      if (local) return { module, node: local };
      // Re-exported: `from .dataset import Frames` in pkg/data/__init__.py, or one of several `from .x import *`.
      for (const reexport of module.imports.candidatesFor(name)) {
        const found = reexport !== qualified ? this.definition(path.relative(this.root, file), reexport, hops + 1) : undefined;
        if (found) return found;
      }
      return undefined;
    }
    return undefined;
  }
}

function isTopLevel(def: Node): boolean {
  let p = def.parent;
  if (p?.type === 'decorated_definition') p = p.parent;
  return p?.type === 'module';
}

const indexes = new Map<string, ProjectIndex>();

/** One index per project root for the life of the process (the CLI's workers and the editor share by root). */
export function projectIndex(root: string, filesUnchanged = false): ProjectIndex {
  let index = indexes.get(root);
  if (!index) indexes.set(root, (index = new ProjectIndex(root)));
  if (filesUnchanged) index.assumeUnchanged();
  return index;
}
