// Facts derived from a parsed module, computed once and kept in a typed cache of their own, keyed by the
// module object: one WeakMap per fact. Several rules ask for the same fact (the DataLoader uses, the call
// graph, the bindings of a name), so each is computed once per module; a cache per fact, rather than one
// map of strings to unknown values, keeps every fact's type and lets no two facts share a key.
import type { PythonModule } from './module';

/** One value per module: `const usesCache = new ModuleFact<Use[]>(); usesCache.get(module, () => ...)`. */
export class ModuleFact<T> {
  private readonly values = new WeakMap<PythonModule, T>();

  get(module: PythonModule, compute: () => T): T {
    const known = this.values.get(module);
    if (known !== undefined || this.values.has(module)) return known as T;
    const value = compute();
    this.values.set(module, value);
    return value;
  }
}

/** One value per module and key (a node id, a name): `cache.get(module, fn.id, () => ...)`. */
export class KeyedFact<K, T> {
  private readonly values = new WeakMap<PythonModule, Map<K, T>>();

  get(module: PythonModule, key: K, compute: () => T): T {
    let byKey = this.values.get(module);
    if (!byKey) this.values.set(module, (byKey = new Map()));
    const known = byKey.get(key);
    if (known !== undefined || byKey.has(key)) return known as T;
    const value = compute();
    byKey.set(key, value);
    return value;
  }
}
