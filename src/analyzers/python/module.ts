// One parsed Python file and the syntax facts every analysis shares: text, imports, calls, loops,
// functions, classes, bindings and node lookups (what trains where is python/training.ts, built on
// this). The statement-level nodes are collected in one walk inside wasm
// (`descendantsOfType` with every type at once: about 3x faster than a cursor walk from JS, and a third
// faster than the equivalent query), in document order, so "the calls inside this scope" is a binary
// search rather than a walk. Everything else is computed lazily once.
import type { Tree } from 'web-tree-sitter';
import type { Definition, ProjectIndex } from '../workspace/project';
import { ImportTable } from '../engine/imports';
import { LineIndex } from '../engine/text';
import { DEFAULT_LINE_LENGTH } from '../workspace/line-length';
import { calledMethod, contains, dottedName, endIndexOf, field, namedChildren, parentOf, textOf, unwrap, type Node } from '../engine/syntax';

/** The node types collected up front, each into the list named here. */
const STRUCTURE = {
  call: 'calls', for_statement: 'loops', while_statement: 'loops', function_definition: 'functions',
  class_definition: 'classes', lambda: 'lambdas', assignment: 'assignments', import_statement: 'importStatements',
  import_from_statement: 'importStatements', return_statement: 'returns', with_statement: 'withStatements',
  augmented_assignment: 'otherWrites', named_expression: 'otherWrites', as_pattern_target: 'otherWrites', delete_statement: 'otherWrites',
} as const;
const STRUCTURE_TYPES = Object.keys(STRUCTURE);

/** A Python name at a position (sticky: set lastIndex first). */
const LEADING_NAME = /[A-Za-z_]\w*/y;

export class PythonModule {
  readonly lines: LineIndex;
  readonly root: Node;
  /** All of these are in document order (a parent before the nodes inside it). */
  readonly calls: Node[] = [];
  readonly loops: Node[] = [];
  readonly functions: Node[] = [];
  readonly classes: Node[] = [];
  readonly lambdas: Node[] = [];
  readonly assignments: Node[] = [];
  readonly returns: Node[] = [];
  readonly withStatements: Node[] = [];
  readonly importStatements: Node[] = [];
  /** Other statements that bind or change a name: `x += …`, `(x := …)`, `with … as x`, `del x`. */
  readonly otherWrites: Node[] = [];
  readonly imports: ImportTable;
  private readonly calleeCache = new Map<number, string | undefined>();
  /** Indexes built on first use, each asked for by many rules. */
  private lineLengthSetting?: number;
  private lineEnding?: string;
  private callsByStartIndex?: Map<number, Node[]>;
  private functionsByName?: Map<string, Array<{ fn: Node; cls: Node | undefined }>>;
  private definitionList?: Node[];
  private assignmentsByTarget?: Map<string, Node[]>;
  private callsByMethod?: Map<string, Node[]>;
  private readonly references = new Map<string, Node[]>();
  /** Per-scope answers, by node id: asked for the same scopes by many rules and call-graph walks. */
  private readonly callsWithinScope = new Map<number, Node[]>();
  private readonly localTargets = new Map<number, Node | null>();
  /** importsAny answers, per module name: every rule asks first whether its framework is imported. */
  private readonly importedModules = new Map<string, boolean>();
  private testOrDebug?: boolean;

  constructor(
    readonly path: string,
    readonly text: string,
    readonly tree: Tree,
    /** The project's other modules, when the caller analyses inside a workspace. */
    readonly project?: ProjectIndex,
  ) {
    this.lines = new LineIndex(text);
    this.root = tree.rootNode;
    for (const node of this.root.descendantsOfType(STRUCTURE_TYPES)) {
      if (node) this[STRUCTURE[node.type as keyof typeof STRUCTURE]].push(node);
    }
    this.imports = ImportTable.fromNodes(this.importStatements, this.assignments);
  }

  /** The line length fixes wrap an edited call at: the project's formatter setting, else Black's and Ruff's 88. */
  get lineLength(): number {
    return (this.lineLengthSetting ??= this.project?.lineLengthFor(this.path) ?? DEFAULT_LINE_LENGTH);
  }

  /** The line terminator the file uses most, for inserted lines. */
  get eol(): string {
    return (this.lineEnding ??= this.lines.eol());
  }

  /** Canonical qualified name of what a call calls, when it resolves through the imports. */
  callee(call: Node): string | undefined {
    if (this.calleeCache.has(call.id)) return this.calleeCache.get(call.id);
    // Most calls start with a name nothing imports (`self.`, locals, builtins): read that name from the
    // text and skip the tree, where each step is a call into wasm.
    LEADING_NAME.lastIndex = call.startIndex;
    const head = LEADING_NAME.exec(this.text)?.[0];
    const fn = head !== undefined && !this.imports.mayBind(head) ? undefined : field(call, 'function');
    const q = fn ? this.imports.resolve(fn) : undefined;
    this.calleeCache.set(call.id, q);
    return q;
  }

  /** Calls by start offset, for finding calls from where their names are written. */
  private callsByStart(): Map<number, Node[]> {
    if (this.callsByStartIndex) return this.callsByStartIndex;
    const index = new Map<number, Node[]>();
    for (const c of this.calls) {
      const list = index.get(c.startIndex);
      if (list) list.push(c);
      else index.set(c.startIndex, [c]);
    }
    return (this.callsByStartIndex = index);
  }

  callsTo(names: ReadonlySet<string> | readonly string[]): Node[] {
    const set = names instanceof Set ? names : new Set(names);
    const matches = (c: Node) => {
      const q = this.callee(c);
      return q !== undefined && set.has(q);
    };
    const heads = this.imports.headsFor(set);
    if (!heads) return this.calls.filter(matches);
    // Only calls that start where one of the heads is written can resolve to a target: find those by
    // searching the text instead of resolving every call of the module through wasm.
    const byStart = this.callsByStart();
    const found: Node[] = [];
    for (const head of heads) {
      for (let i = this.text.indexOf(head); i >= 0; i = this.text.indexOf(head, i + 1)) {
        if (/[\w.]/.test(this.text[i - 1] ?? '') || /\w/.test(this.text[i + head.length] ?? '')) continue;
        for (const c of byStart.get(i) ?? []) if (matches(c)) found.push(c);
      }
    }
    return found.sort((a, b) => a.startIndex - b.startIndex || endIndexOf(b) - endIndexOf(a));
  }

  importsAny(...modules: string[]): boolean {
    return modules.some((m) => {
      let yes = this.importedModules.get(m);
      if (yes === undefined) this.importedModules.set(m, (yes = this.imports.importsModule(m)));
      return yes;
    });
  }

  enclosingFunction(node: Node): Node | undefined {
    return innermostAround(this.functions, node);
  }

  enclosingClass(node: Node): Node | undefined {
    return innermostAround(this.classes, node);
  }

  functionName(fn: Node): string {
    const name = field(fn, 'name');
    return name ? textOf(name) : '';
  }

  /** Functions by name, each with the class it is a method of (computed once). */
  private functionIndex(): Map<string, Array<{ fn: Node; cls: Node | undefined }>> {
    if (this.functionsByName) return this.functionsByName;
    const index = new Map<string, Array<{ fn: Node; cls: Node | undefined }>>();
    for (const fn of this.functions) {
      const name = this.functionName(fn);
      const list = index.get(name) ?? [];
      list.push({ fn, cls: this.enclosingClass(fn) });
      index.set(name, list);
    }
    return (this.functionsByName = index);
  }

  /** A function defined at module level, or a method of the class enclosing `from`, by name. */
  findFunction(name: string, from?: Node): Node | undefined {
    const candidates = this.functionIndex().get(name);
    if (!candidates) return undefined;
    const cls = from ? this.enclosingClass(from) : undefined;
    if (cls) {
      const method = candidates.find((c) => c.cls?.id === cls.id);
      if (method) return method.fn;
    }
    return candidates.find((c) => !c.cls)?.fn;
  }

  /** The function a call targets inside this module (`train(...)`, `self.train_epoch(...)`), if any. */
  localCallTarget(call: Node): Node | undefined {
    const known = this.localTargets.get(call.id);
    if (known !== undefined) return known ?? undefined;
    const target = this.computeLocalCallTarget(call);
    this.localTargets.set(call.id, target ?? null);
    return target;
  }

  private computeLocalCallTarget(call: Node): Node | undefined {
    const fn = field(call, 'function');
    if (!fn) return undefined;
    if (fn.type === 'identifier') return this.findFunction(fn.text);
    const object = fn.type === 'attribute' ? field(fn, 'object') : undefined;
    if (object?.type === 'identifier' && object.text === 'self') {
      const attr = field(fn, 'attribute')?.text;
      return attr ? this.findFunction(attr, call) : undefined;
    }
    return undefined;
  }

  /**
   * The class or function a name refers to: defined at the top level of this module, or imported from
   * another module of the project (followed through the project index). Undefined when unknown.
   */
  definitionOf(dotted: string): Definition | undefined {
    const local = [...this.classes, ...this.functions].find((d) => field(d, 'name')?.text === dotted && parentOf(d)?.type === 'module');
    if (local) return { module: this, node: local };
    const qualified = this.imports.resolveDotted(dotted);
    return qualified && this.project ? this.project.definition(this.path, qualified) : undefined;
  }

  /** True when a name comes from an import of the project's own code (relative, or a module file in the project). */
  importsFromProject(dotted: string): boolean {
    const qualified = this.imports.resolveDotted(dotted);
    if (!qualified) return false;
    if (qualified.startsWith('.')) return true;
    const top = qualified.split('.')[0];
    return this.project !== undefined && this.project.moduleFile(this.path, top) !== undefined;
  }

  /** Base class names of a class definition, resolved through the imports when possible. */
  baseClasses(cls: Node): string[] {
    const supers = field(cls, 'superclasses');
    if (!supers) return [];
    return namedChildren(supers)
      .filter((n) => n.type !== 'keyword_argument')
      .map((n) => this.imports.resolve(n) ?? dottedName(n) ?? n.text);
  }

  /** Every call inside `scope` (itself included), nested definitions and lambdas included, in document order. */
  callsInside(scope: Node): Node[] {
    return within(this.calls, scope);
  }

  /** Every statement inside `scope` that binds or changes a name (assignments, loops, definitions, imports…). */
  writesInside(scope: Node): Node[] {
    return [this.assignments, this.otherWrites, this.loops, this.functions, this.classes, this.importStatements].flatMap((list) => within(list, scope));
  }

  /** Calls inside `scope`, not counting those in nested function or class definitions. */
  callsWithin(scope: Node): Node[] {
    let calls = this.callsWithinScope.get(scope.id);
    if (!calls) this.callsWithinScope.set(scope.id, (calls = within(this.calls, scope).filter((c) => !this.insideNestedDefinition(scope, c))));
    return calls;
  }

  /** Functions, classes and lambdas in document order: whatever holds code that does not run in place. */
  private definitions(): Node[] {
    return (this.definitionList ??= [...this.functions, ...this.classes, ...this.lambdas].sort((a, b) => a.startIndex - b.startIndex));
  }

  /** The nearest function, class or lambda around a node. */
  private ownerDefinition(node: Node): Node | undefined {
    return innermostAround(this.definitions(), node);
  }

  /** A definition strictly inside `scope` holds the node (its code does not run when the scope runs). */
  private insideNestedDefinition(scope: Node, node: Node): boolean {
    const owner = this.ownerDefinition(node);
    return owner !== undefined && owner.id !== scope.id && contains(scope, owner);
  }

  /** A for/while loop lies between `scope` and `node` (the node runs once per iteration, not once per scope). */
  loopBetween(scope: Node, node: Node): boolean {
    for (let p = parentOf(node); p && p.id !== scope.id; p = parentOf(p)) {
      if (p.type === 'for_statement' || p.type === 'while_statement') return true;
    }
    return false;
  }

  /** The nearest loop around a node within its own function or class body. */
  enclosingLoop(node: Node): Node | undefined {
    const loop = innermostAround(this.loops, node);
    if (!loop) return undefined;
    // A function or class between the loop and the node: its body does not run as part of the loop.
    const boundary = [innermostAround(this.functions, node), innermostAround(this.classes, node)].some((d) => d && d.startIndex > loop.startIndex);
    return boundary ? undefined : loop;
  }

  /** The name an expression is bound to: `x = <expr>` -> 'x', `self.x = <expr>` -> 'self.x'. */
  boundName(expr: Node): string | undefined {
    let node = expr;
    for (let p = parentOf(node); p?.type === 'parenthesized_expression'; p = parentOf(node)) node = p;
    const parent = parentOf(node);
    if (parent?.type === 'assignment' && field(parent, 'right')?.id === node.id) {
      const left = field(parent, 'left');
      return left ? dottedName(left) : undefined;
    }
    // `a, b = X(...), Y(...)`: pair the element with its target.
    const assign = parent?.type === 'expression_list' ? parentOf(parent) : undefined;
    if (parent && assign?.type === 'assignment') {
      const left = field(assign, 'left');
      if (left && (left.type === 'pattern_list' || left.type === 'tuple_pattern')) {
        const i = namedChildren(parent).findIndex((c) => c.id === node.id);
        const target = namedChildren(left)[i];
        return target ? dottedName(target) : undefined;
      }
    }
    return undefined;
  }

  /**
   * Assignments that bind a dotted name (`x = …`, `self.x = …`, `a, x = …`), indexed once: rules ask
   * "where does this name come from" for many names, and a scan per name is quadratic in a large file.
   */
  assignmentsTo(name: string): Node[] {
    if (!this.assignmentsByTarget) {
      const byTarget = new Map<string, Node[]>();
      const add = (target: Node | undefined, a: Node) => {
        const n = target && dottedName(target);
        if (!n) return;
        const list = byTarget.get(n);
        if (list) list.push(a);
        else byTarget.set(n, [a]);
      };
      for (const a of this.assignments) {
        const left = field(a, 'left');
        if (!left) continue;
        if (left.type === 'pattern_list' || left.type === 'tuple_pattern') for (const t of namedChildren(left)) add(t, a);
        else add(left, a);
      }
      this.assignmentsByTarget = byTarget;
    }
    return this.assignmentsByTarget.get(name) ?? [];
  }

  /** Calls of a method by name (`x.fit(...)` under 'fit'), indexed once for the whole module. */
  methodCalls(method: string): Node[] {
    if (!this.callsByMethod) {
      const byMethod = new Map<string, Node[]>();
      for (const c of this.calls) {
        const m = calledMethod(c);
        if (m === undefined) continue;
        const list = byMethod.get(m);
        if (list) list.push(c);
        else byMethod.set(m, [c]);
      }
      this.callsByMethod = byMethod;
    }
    return this.callsByMethod.get(method) ?? [];
  }

  /** Identifier or attribute nodes whose text is exactly `name` (e.g. 'train_loader', 'self.train_loader'). */
  referencesTo(name: string): Node[] {
    let found = this.references.get(name);
    if (!found) this.references.set(name, (found = this.occurrences(name, 0, this.text.length)));
    return found;
  }

  /** True when an expression is, or mentions, the given name (`enumerate(loader)`, `tqdm(loader, ...)`). */
  mentions(expr: Node, name: string): boolean {
    const n = unwrap(expr);
    return textOf(n) === name || this.occurrences(name, n.startIndex, endIndexOf(n)).length > 0;
  }

  /**
   * Finds a name by searching the text, then asks the tree what sits there: far cheaper than visiting
   * every identifier, and matches inside strings or comments are rejected by the node type.
   */
  private occurrences(name: string, start: number, end: number): Node[] {
    const out: Node[] = [];
    // `x.name` is another object's attribute, `name2` another name; `name.attr` still uses `name`.
    const before = /[\w.]/;
    const after = /\w/;
    for (let i = this.text.indexOf(name, start); i >= 0 && i + name.length <= end; i = this.text.indexOf(name, i + 1)) {
      if (before.test(this.text[i - 1] ?? '') || after.test(this.text[i + name.length] ?? '')) continue;
      const node = this.root.descendantForIndex(i, i + name.length);
      if (node && (node.type === 'identifier' || node.type === 'attribute') && node.startIndex === i && endIndexOf(node) === i + name.length) out.push(node);
    }
    return out;
  }

  /** Files that are tests, debug configs or benchmarks: section 7 says stay quiet there. */
  /** Asked by nearly every rule, so answered once. */
  isTestOrDebugFile(): boolean {
    this.testOrDebug ??= isTestOrDebugPath(this.path);
    return this.testOrDebug;
  }
}

/** Position in a document-ordered list of the first node starting at `index` or later (later only, if `after`). */
function firstStarting(sorted: readonly Node[], index: number, after: boolean): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid].startIndex < index || (after && sorted[mid].startIndex === index)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The innermost node of a document-ordered list that is a proper ancestor of `node`. Syntax-tree ranges
 * nest, so an ancestor is a node whose range holds `node`'s and is larger; among those, the innermost
 * starts last. A binary search and a short scan back replace a walk up the parents, each step of which
 * is a call into wasm.
 */
function innermostAround(sorted: readonly Node[], node: Node): Node | undefined {
  const start = node.startIndex;
  const end = endIndexOf(node);
  for (let i = firstStarting(sorted, start, true) - 1; i >= 0; i--) {
    const candidate = sorted[i];
    const candidateEnd = endIndexOf(candidate);
    if (candidateEnd >= end && (candidate.startIndex < start || candidateEnd > end)) return candidate;
  }
  return undefined;
}

/** The nodes of a document-ordered list (as the structure walk collects them) that lie inside `scope`. */
function within(sorted: readonly Node[], scope: Node): Node[] {
  const end = endIndexOf(scope);
  const out: Node[] = [];
  for (let i = firstStarting(sorted, scope.startIndex, false); i < sorted.length && sorted[i].startIndex < end; i++) {
    if (endIndexOf(sorted[i]) <= end) out.push(sorted[i]);
  }
  return out;
}

export function isTestOrDebugPath(path: string): boolean {
  const p = path.replace(/\\/g, '/').toLowerCase();
  const base = p.slice(p.lastIndexOf('/') + 1);
  return (
    /(^|\/)(tests?|debug|benchmarks?|bench)\//.test(p) ||
    base === 'conftest.py' ||
    /^test_.*\.py$/.test(base) ||
    /_test\.py$/.test(base) ||
    /smoke/.test(base)
  );
}
