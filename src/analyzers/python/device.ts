// Device provenance: where does this module put its model and tensors? `.cuda()`, `.to("cuda")`,
// `.to(device)` with `device = torch.device("cuda" if torch.cuda.is_available() else "cpu")`,
// `device=` keywords, `torch.set_default_device`, and Lightning's `accelerator=`. Rules that only make
// sense on a GPU (pin_memory, mixed precision, TF32, cuDNN autotuner) ask `trainsOnCuda`; HW009 asks
// whether a module places anything at all. A name we cannot follow is 'unknown', never 'cuda'.
import { argument, callArguments } from '../engine/calls';
import { calledMethod, dottedName, field, literalValue, namedChildren, parentOf, textOf, unwrap, type Node } from '../engine/syntax';
import { parameterNamed } from './bindings';
import type { PythonModule } from './module';

export type DeviceKind = 'cuda' | 'cpu' | 'mps' | 'xla' | 'unknown';

export interface DevicePlacement {
  /** The call that places something: `x.cuda()`, `x.to(...)`, `torch.zeros(..., device=...)`, `Trainer(accelerator=...)`. */
  call: Node;
  /** The expression that names the device, when there is one (`.cuda()` has none). */
  device?: Node;
  kind: DeviceKind;
  how: 'cuda()' | 'to()' | 'device=' | 'set_default_device' | 'accelerator';
}

const MAX_DEPTH = 4;

const LIGHTNING_TRAINERS = new Set(['lightning.pytorch.Trainer', 'lightning.fabric.Fabric', 'lightning.Fabric', 'lightning_fabric.Fabric']);

/** What an accelerator / device string names: `cuda:0`, `gpu`, `cpu`, `mps`, `xla:1`, `tpu`. */
export function deviceKindOfString(s: string): DeviceKind {
  const v = s.trim().toLowerCase();
  if (/^(cuda|gpu)\b/.test(v)) return 'cuda';
  if (/^cpu\b/.test(v)) return 'cpu';
  if (/^mps\b/.test(v)) return 'mps';
  if (/^(xla|tpu)\b/.test(v)) return 'xla';
  return 'unknown';
}

/** A conditional or several bindings: CUDA wins (the code is written to use a GPU when there is one). */
function combine(kinds: DeviceKind[]): DeviceKind {
  for (const k of ['cuda', 'mps', 'xla'] as const) if (kinds.includes(k)) return k;
  return kinds.length > 0 && kinds.every((k) => k === 'cpu') ? 'cpu' : 'unknown';
}

/**
 * The device an expression names: string literals (also f-strings such as `f"cuda:{rank}"`), device
 * ordinals, `torch.device(...)`, conditionals, `torch.cuda.current_device()`, and names bound to any of
 * these (locals, `self.device`, parameters with a default).
 */
export function deviceKindOf(module: PythonModule, expr: Node, at: Node = expr, depth = 0): DeviceKind {
  if (depth > MAX_DEPTH) return 'unknown';
  const n = unwrap(expr);
  switch (n.type) {
    case 'string': {
      const v = literalValue(n);
      if (typeof v === 'string') return deviceKindOfString(v);
      // f"cuda:{local_rank}"
      const m = /^[a-zA-Z]*["']+([a-z]+)/.exec(textOf(n));
      return m ? deviceKindOfString(m[1]) : 'unknown';
    }
    case 'integer':
      return 'cuda';
    case 'conditional_expression': {
      const parts = namedChildren(n);
      // `a if cond else b`: children are a, cond, b.
      return parts.length === 3 ? combine([deviceKindOf(module, parts[0], at, depth + 1), deviceKindOf(module, parts[2], at, depth + 1)]) : 'unknown';
    }
    case 'call': {
      const q = module.callee(n);
      if (q === 'torch.device') {
        const first = callArguments(n).positional[0] ?? callArguments(n).keywords.get('type');
        return first ? deviceKindOf(module, first, at, depth + 1) : 'unknown';
      }
      if (q === 'torch.cuda.current_device') return 'cuda';
      if (q && /^torch_xla\b.*\.xla_device$/.test(q)) return 'xla';
      return 'unknown';
    }
    case 'identifier':
    case 'attribute': {
      const name = dottedName(n);
      // Attributes of other objects (`batch.device`, `args.device`) are not followed: only names and `self.x`.
      if (!name || (n.type === 'attribute' && !/^self\.\w+$/.test(name))) return 'unknown';
      // Every `.to(device)` in a function reads the same binding: resolve each name once per scope.
      const scope = name.startsWith('self.') ? module.enclosingClass(at) : module.enclosingFunction(at);
      const cache = module.memo('device:nameKinds', () => new Map<string, DeviceKind>());
      const key = `${name}@${scope?.id ?? 'module'}@${depth}`;
      const cached = cache.get(key);
      if (cached !== undefined) return cached;
      cache.set(key, 'unknown');
      const kind = nameKind(module, n, name, at, depth);
      cache.set(key, kind);
      return kind;
    }
    default:
      return 'unknown';
  }
}

function nameKind(module: PythonModule, n: Node, name: string, at: Node, depth: number): DeviceKind {
  const kinds: DeviceKind[] = [];
  for (const b of bindingsOf(module, name, at)) {
    if (b.kind === 'value') {
      if (b.value.id === n.id) continue;
      kinds.push(deviceKindOf(module, b.value, b.assignment, depth + 1));
    } else if (b.kind === 'parameter') {
      const p = b.parameter;
      const dflt = p.type === 'default_parameter' || p.type === 'typed_default_parameter' ? field(p, 'value') : undefined;
      kinds.push(dflt ? deviceKindOf(module, dflt, dflt, depth + 1) : 'unknown');
    } else {
      kinds.push('unknown');
    }
  }
  return combine(kinds);
}

type SimpleBinding = { kind: 'value'; value: Node; assignment: Node } | { kind: 'parameter'; parameter: Node } | { kind: 'opaque' };

/** Plain `name = value` assignments of one name, found from its occurrences (text search) rather than a scan of every assignment. */
function assignmentsOf(module: PythonModule, name: string): Array<{ value?: Node; assignment: Node }> {
  return module.memo(`device:assignments:${name}`, () => {
    const out: Array<{ value?: Node; assignment: Node }> = [];
    for (const ref of module.referencesTo(name)) {
      const a = parentOf(ref);
      if (!a) continue;
      if (a.type === 'assignment' && field(a, 'left')?.id === ref.id) {
        out.push({ value: field(a, 'right'), assignment: a });
      } else if ((a.type === 'pattern_list' || a.type === 'tuple_pattern') && parentOf(a)?.type === 'assignment') {
        // `device, n_gpu = setup()`: bound, but to something we do not split.
        out.push({ assignment: parentOf(a)! });
      } else if (a.type === 'for_statement' && field(a, 'left')?.id === ref.id) {
        out.push({ assignment: a });
      }
    }
    return out;
  });
}

/** The same scoping as bindingsAt (class for `self.x`, innermost binding function, parameter, module), from the index. */
function bindingsOf(module: PythonModule, name: string, at: Node): SimpleBinding[] {
  const all = assignmentsOf(module, name);
  const values = (list: typeof all): SimpleBinding[] =>
    list.map((b) => (b.value ? { kind: 'value', value: b.value, assignment: b.assignment } : { kind: 'opaque' }));
  if (name.startsWith('self.')) {
    const cls = module.enclosingClass(at);
    return cls ? values(all.filter((b) => module.enclosingClass(b.assignment)?.id === cls.id)) : [];
  }
  for (let fn = module.enclosingFunction(at); fn; fn = module.enclosingFunction(fn)) {
    const scope = fn;
    const local = all.filter((b) => module.enclosingFunction(b.assignment)?.id === scope.id);
    if (local.length > 0) return values(local);
    const param = parameterNamed(scope, name);
    if (param) return [{ kind: 'parameter', parameter: param.node }];
  }
  return values(all.filter((b) => module.enclosingFunction(b.assignment) === undefined && module.enclosingClass(b.assignment) === undefined));
}

/** Is the first argument of `.to(...)` a dtype (`x.to(torch.float16)`), not a device? */
export function isDtype(module: PythonModule, expr: Node): boolean {
  const q = module.imports.resolve(expr);
  return q !== undefined && /^torch\.(u?int\d*|float\d*|bfloat16|half|double|long|short|bool|complex\d*|cfloat|cdouble|float8\w*)$/.test(q);
}

/** Every place the module puts a model or tensor on a device, memoised. */
export function devicePlacements(module: PythonModule): DevicePlacement[] {
  return module.memo('device:placements', () => {
    const out: DevicePlacement[] = [];
    if (module.importsAny('torch')) {
      for (const c of module.methodCalls('cuda')) {
        const fn = field(c, 'function');
        // `torch.cuda(...)` is not a thing; `x.cuda()` / `x.cuda(rank)` is.
        if (fn && dottedName(fn) !== 'torch.cuda') out.push({ call: c, kind: 'cuda', how: 'cuda()' });
      }
      for (const c of module.methodCalls('to')) {
        const args = callArguments(c);
        const kw = args.keywords.get('device');
        const first = kw ?? args.positional[0];
        if (!first || (!kw && (isDtype(module, first) || unwrap(first).type === 'keyword_argument'))) continue;
        // `x.to(other_tensor)` and `x.to(dtype)` through a name cannot be told apart from a device: unknown.
        out.push({ call: c, device: first, kind: deviceKindOf(module, first, c), how: 'to()' });
      }
      for (const c of module.text.includes('set_default_device') ? module.callsTo(['torch.set_default_device']) : []) {
        const first = callArguments(c).positional[0];
        if (first) out.push({ call: c, device: first, kind: deviceKindOf(module, first, c), how: 'set_default_device' });
      }
      for (const kwValue of keywordValues(module, 'device')) {
        const call = parentOf(parentOf(parentOf(kwValue)!)!);
        if (call?.type !== 'call' || calledMethod(call) === 'to') continue;
        out.push({ call, device: kwValue, kind: deviceKindOf(module, kwValue, call), how: 'device=' });
      }
    }
    for (const c of module.importsAny('lightning', 'lightning_fabric') ? module.callsTo(LIGHTNING_TRAINERS) : []) {
      const kind = lightningAcceleratorKind(module, c);
      if (kind !== 'absent') out.push({ call: c, kind, how: 'accelerator' });
    }
    return out.sort((a, b) => a.call.startIndex - b.call.startIndex);
  });
}

/**
 * The device a Lightning `Trainer(...)` / `Fabric(...)` asks for: `accelerator="gpu"|"cuda"` or legacy
 * `gpus=N` -> cuda; "cpu", "mps", "tpu"; "auto" or a variable -> unknown; nothing said -> 'absent'.
 */
export function lightningAcceleratorKind(module: PythonModule, call: Node): DeviceKind | 'absent' {
  const args = callArguments(call);
  const acc = argument(args, 'accelerator');
  if (acc.kind === 'present') {
    const v = literalValue(acc.node);
    if (typeof v === 'string') return deviceKindOfString(v);
    return deviceKindOf(module, acc.node, call);
  }
  const gpus = argument(args, 'gpus');
  if (gpus.kind === 'present') {
    const v = literalValue(gpus.node);
    if (v === 0 || v === null) return 'cpu';
    return typeof v === 'number' || typeof v === 'string' ? 'cuda' : 'unknown';
  }
  return acc.kind === 'unknown' ? 'unknown' : 'absent';
}

/** Values of `name=<value>` keyword arguments anywhere in the module, found by text search then checked on the tree. */
function keywordValues(module: PythonModule, name: string): Node[] {
  const out: Node[] = [];
  const re = new RegExp(`\\b${name}\\s*=(?!=)`, 'g');
  for (let m = re.exec(module.text); m; m = re.exec(module.text)) {
    const node = module.root.descendantForIndex(m.index, m.index + name.length);
    const kw = node && parentOf(node);
    if (node?.type !== 'identifier' || kw?.type !== 'keyword_argument' || field(kw, 'name')?.id !== node.id) continue;
    const value = field(kw, 'value');
    if (value) out.push(value);
  }
  return out;
}

/** The placements that put things on a CUDA device, in document order. */
export function cudaPlacements(module: PythonModule): DevicePlacement[] {
  return module.memo('device:cuda', () => {
    // Without the words cuda/gpu a placement can only be CUDA through a bare device ordinal (`.to(0)`, `.cuda()`).
    if (!/cuda|gpu/i.test(module.text) && !/\.(to\(\s*\d|cuda\()/.test(module.text)) return [];
    return devicePlacements(module).filter((p) => p.kind === 'cuda');
  });
}

/** True when the module moves models or tensors to CUDA (when a GPU is available). */
export function trainsOnCuda(module: PythonModule): boolean {
  return cudaPlacements(module).length > 0;
}

/**
 * Device placements of a hard-coded CPU: every placement in the module names the CPU and nothing
 * mentions another device. Empty when the module never says where it trains.
 */
export function hardCodedCpuPlacements(module: PythonModule): DevicePlacement[] {
  const all = devicePlacements(module);
  if (all.length === 0 || all.some((p) => p.kind !== 'cpu')) return [];
  if (/\b(cuda|mps|gpu|xla|tpu)\b/i.test(module.text.replace(/#.*$/gm, ''))) return [];
  return all;
}

/** Frameworks that choose the device (and often the precision) themselves, outside this module's code. */
export function deviceManagedByFramework(module: PythonModule): boolean {
  return module.importsAny('accelerate', 'deepspeed', 'lightning', 'lightning_fabric', 'torch_xla', 'horovod', 'colossalai', 'ignite', 'composer', 'fairscale', 'keras', 'tensorflow', 'jax');
}
