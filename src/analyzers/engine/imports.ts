// Import and alias resolution: maps the names a module binds to fully qualified names, so rules match
// `torch.utils.data.DataLoader` whether the code says `DataLoader`, `DL`, `tud.DataLoader` or `data.DataLoader`.
import { dottedName, field, namedChildren, parentOf, unwrap, type Node } from './syntax';

/**
 * Re-exports and renamed packages, so rules name one canonical path. Longest prefix wins.
 * (lightning.pytorch is the current name of pytorch_lightning; `lightning` re-exports Trainer & co.;
 * tf.keras is Keras; DataLoader lives in torch.utils.data.dataloader.)
 */
const CANONICAL_PREFIXES: ReadonlyArray<[string, string]> = [
  ['pytorch_lightning', 'lightning.pytorch'],
  ['lightning.Trainer', 'lightning.pytorch.Trainer'],
  ['lightning.LightningModule', 'lightning.pytorch.LightningModule'],
  ['lightning.LightningDataModule', 'lightning.pytorch.LightningDataModule'],
  ['lightning.Callback', 'lightning.pytorch.Callback'],
  ['lightning.pytorch.trainer.trainer.Trainer', 'lightning.pytorch.Trainer'],
  ['lightning.pytorch.callbacks.early_stopping.EarlyStopping', 'lightning.pytorch.callbacks.EarlyStopping'],
  ['tensorflow.keras', 'keras'],
  ['tensorflow.python.keras', 'keras'],
  ['tf_keras', 'keras'],
  ['torch.utils.data.dataloader.DataLoader', 'torch.utils.data.DataLoader'],
  ['torch.utils.data.dataset.', 'torch.utils.data.'],
  ['transformers.trainer.Trainer', 'transformers.Trainer'],
  ['transformers.training_args.TrainingArguments', 'transformers.TrainingArguments'],
  ['transformers.trainer_callback.', 'transformers.'],
  ['keras.src.', 'keras.'],
  // Keras 1/2 spelled layers by submodule (`from keras.layers.core import Dense`); they are the same classes.
  ...['core', 'convolutional', 'recurrent', 'embeddings', 'normalization', 'pooling', 'advanced_activations', 'merge', 'noise', 'wrappers'].map(
    (m): [string, string] => [`keras.layers.${m}.`, 'keras.layers.'],
  ),
  // XGBoost and LightGBM re-export their estimators, train() and callbacks at the package top level.
  ['xgboost.sklearn.', 'xgboost.'],
  ['xgboost.training.', 'xgboost.'],
  ['lightgbm.sklearn.', 'lightgbm.'],
  ['lightgbm.engine.', 'lightgbm.'],
  ['lightgbm.callback.', 'lightgbm.'],
];

/** canonicalName answers: the same few hundred library names come up in every file. */
const canonicalNames = new Map<string, string>();

export function canonicalName(qualified: string): string {
  let name = canonicalNames.get(qualified);
  if (name === undefined) {
    name = canonicalize(qualified);
    if (canonicalNames.size < 100_000) canonicalNames.set(qualified, name);
  }
  return name;
}

function canonicalize(qualified: string): string {
  let best: [string, string] | undefined;
  for (const entry of CANONICAL_PREFIXES) {
    const [prefix] = entry;
    const matches = prefix.endsWith('.') ? qualified.startsWith(prefix) : qualified === prefix || qualified.startsWith(prefix + '.');
    if (matches && (!best || prefix.length > best[0].length)) best = entry;
  }
  if (!best) return qualified;
  // The targets are never source prefixes of each other's mapping, so this terminates.
  return canonicalize(best[1] + qualified.slice(best[0].length));
}

/** `from . import data` binds `.data`, `from .pkg import x` binds `.pkg.x`. */
function joinModule(moduleName: string, name: string): string {
  return moduleName.endsWith('.') ? moduleName + name : `${moduleName}.${name}`;
}

export class ImportTable {
  /** local name -> qualified name */
  private readonly bindings = new Map<string, string>();
  private readonly starModules: string[] = [];
  private readonly modules = new Set<string>();

  /** Reads every import statement in the tree (also those nested in functions or `try` blocks). */
  static fromNodes(importNodes: readonly Node[], assignments: readonly Node[]): ImportTable {
    const table = new ImportTable();
    for (const node of importNodes) table.addImport(node);
    // Module-level aliases such as `DL = DataLoader` or `Trainer = pl.Trainer`.
    for (const a of assignments) {
      const left = field(a, 'left');
      const right = field(a, 'right');
      if (left?.type !== 'identifier' || !right) continue;
      const resolved = table.resolve(right);
      if (!resolved || table.bindings.has(left.text)) continue;
      // Last, as each parent lookup is a search down from the root: most assignments are no alias at all.
      const statement = parentOf(a);
      if ((statement && parentOf(statement))?.type === 'module') table.bindings.set(left.text, resolved);
    }
    return table;
  }

  private addImport(node: Node): void {
    if (node.type === 'import_statement') {
      for (const child of namedChildren(node)) {
        if (child.type === 'dotted_name') {
          // `import torch.utils.data` binds `torch`.
          const full = child.text;
          this.modules.add(canonicalName(full));
          const head = full.split('.')[0];
          if (!this.bindings.has(head)) this.bindings.set(head, head);
        } else if (child.type === 'aliased_import') {
          const name = field(child, 'name')?.text;
          const alias = field(child, 'alias')?.text;
          if (name && alias) {
            this.bindings.set(alias, canonicalName(name));
            this.modules.add(canonicalName(name));
          }
        }
      }
    } else if (node.type === 'import_from_statement') {
      const moduleNode = field(node, 'module_name');
      if (!moduleNode) return;
      // Relative imports bind local names too (`from .data import DataLoader` is the project's own class);
      // their leading dot keeps them from matching any library name.
      const moduleName = moduleNode.text;
      this.modules.add(canonicalName(moduleName));
      for (const child of namedChildren(node)) {
        if (child.id === moduleNode.id) continue;
        if (child.type === 'wildcard_import') this.starModules.push(moduleName);
        else if (child.type === 'dotted_name') this.bindings.set(child.text, canonicalName(joinModule(moduleName, child.text)));
        else if (child.type === 'aliased_import') {
          const name = field(child, 'name')?.text;
          const alias = field(child, 'alias')?.text;
          if (name && alias) this.bindings.set(alias, canonicalName(joinModule(moduleName, name)));
        }
      }
    }
  }

  /** Qualified name of an identifier or attribute chain, when its head is imported; else undefined. */
  resolve(node: Node): string | undefined {
    const dotted = dottedName(unwrap(node));
    if (!dotted) return undefined;
    return this.resolveDotted(dotted);
  }

  resolveDotted(dotted: string): string | undefined {
    const dot = dotted.indexOf('.');
    const head = dot < 0 ? dotted : dotted.slice(0, dot);
    let base = this.bindings.get(head);
    if (base === undefined && this.starModules.length > 0) base = `${this.starModules[0]}.${head}`;
    if (base === undefined) return undefined;
    return canonicalName(dot < 0 ? base : base + dotted.slice(dot));
  }

  /**
   * Every qualified name `dotted` may stand for: the one its head is bound to, or, for an unbound head, the same
   * name in each star-imported module (`from .vgg import *` then `from .dla import *` in a package `__init__.py`),
   * in import order. resolveDotted answers only the first.
   */
  candidatesFor(dotted: string): string[] {
    const head = dotted.split('.')[0];
    if (this.bindings.has(head) || this.starModules.length === 0) {
      const one = this.resolveDotted(dotted);
      return one === undefined ? [] : [one];
    }
    return this.starModules.map((m) => canonicalName(`${m}.${dotted}`));
  }

  /** False when a dotted name starting with `head` cannot resolve (nothing binds it and there is no star import). */
  mayBind(head: string): boolean {
    return this.bindings.has(head) || this.starModules.length > 0;
  }

  /**
   * The local names a reference to one of `targets` must start with (`DL`, `tud`, `torch` for
   * torch.utils.data.DataLoader), or undefined when a star import makes any name possible.
   */
  headsFor(targets: ReadonlySet<string>): Set<string> | undefined {
    if (this.starModules.length > 0) return undefined;
    const heads = new Set<string>();
    for (const [local, qualified] of this.bindings) {
      for (const t of targets) if (t === qualified || t.startsWith(qualified + '.')) heads.add(local);
    }
    return heads;
  }

  /** True when the module imports `name` or something under it (`torch` matches `import torch.nn`). */
  importsModule(name: string): boolean {
    for (const m of this.modules) if (m === name || m.startsWith(name + '.')) return true;
    for (const q of this.bindings.values()) if (q === name || q.startsWith(name + '.')) return true;
    return false;
  }

  localNames(): IterableIterator<[string, string]> {
    return this.bindings.entries();
  }
}
