// What device an expression names: `"cuda:0"`, `torch.device("cuda", rank)`, a device ordinal such as
// `local_rank`, `torch.accelerator.current_accelerator()`, `accelerator.device` (Accelerate), `fabric.device`,
// `args.device` set from any of these or from an argparse default, and names bound to them. The module-level
// fact built on it ("does this module train on an accelerator") lives in accelerator.ts. A name we cannot
// follow is 'unknown', never 'cuda'.
import { argument, callArguments } from '../engine/calls';
import { calledMethod, dottedName, field, literalValue, methodReceiver, namedChildren, parentOf, textOf, unwrap, type Node } from '../engine/syntax';
import { parameterNamed } from './bindings';
import { OPTIONS_OBJECT } from './resolve';
import { KeyedFact, ModuleFact } from './facts';
import type { PythonModule } from './module';

/**
 * `accelerator` is whatever `torch.accelerator.current_accelerator()` finds (CUDA on most machines, else
 * MPS or XPU): code written that way runs on CUDA when there is one.
 */
export type DeviceKind = 'cuda' | 'accelerator' | 'xpu' | 'mps' | 'xla' | 'cpu' | 'unknown';

const MAX_DEPTH = 4;

export const LIGHTNING_TRAINERS = new Set(['lightning.pytorch.Trainer', 'lightning.fabric.Fabric', 'lightning.Fabric', 'lightning_fabric.Fabric']);
const FABRIC = new Set(['lightning.fabric.Fabric', 'lightning.Fabric', 'lightning_fabric.Fabric']);
const ACCELERATE = new Set(['accelerate.Accelerator']);

/** Names that hold a device ordinal in distributed code: `.to(local_rank)`, `.cuda(args.gpu)`, `device_ids=[rank]`. */
const ORDINAL_NAME = /^(local_rank|rank|gpu|gpu_id|gpu_idx|gpu_index|device_id|local_device_id|device_index)$/;

/** What an accelerator / device string names: `cuda:0`, `gpu`, `cpu`, `mps`, `xpu`, `xla:1`, `tpu`. */
export function deviceKindOfString(s: string): DeviceKind {
  const v = s.trim().toLowerCase();
  if (/^(cuda|gpu)\b/.test(v)) return 'cuda';
  if (/^cpu\b/.test(v)) return 'cpu';
  if (/^mps\b/.test(v)) return 'mps';
  if (/^xpu\b/.test(v)) return 'xpu';
  if (/^(xla|tpu)\b/.test(v)) return 'xla';
  return 'unknown';
}

/** A conditional or several bindings: an accelerator wins (the code is written to use one when there is one). */
export function combineDeviceKinds(kinds: DeviceKind[]): DeviceKind {
  for (const k of ['cuda', 'accelerator', 'xpu', 'mps', 'xla'] as const) if (kinds.includes(k)) return k;
  return kinds.length > 0 && kinds.every((k) => k === 'cpu') ? 'cpu' : 'unknown';
}

/** Every kind but the CPU and 'unknown'. */
export function isAcceleratorKind(kind: DeviceKind): boolean {
  return kind !== 'cpu' && kind !== 'unknown';
}

const nameKindsCache = new ModuleFact<Map<string, DeviceKind>>();

/**
 * The device an expression names: string literals (also f-strings such as `f"cuda:{rank}"`), device
 * ordinals, `torch.device(...)`, conditionals, `torch.cuda.current_device()`,
 * `torch.accelerator.current_accelerator()` (and its `.type`), the `.device` of an Accelerate or Fabric
 * object, and names bound to any of these (locals, `self.device`, `args.device`, parameters with a default).
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
      return parts.length === 3 ? combineDeviceKinds([deviceKindOf(module, parts[0], at, depth + 1), deviceKindOf(module, parts[2], at, depth + 1)]) : 'unknown';
    }
    case 'call': {
      const q = module.callee(n);
      if (q === 'torch.device') {
        const first = callArguments(n).positional[0] ?? callArguments(n).keywords.get('type');
        return first ? deviceKindOf(module, first, at, depth + 1) : 'unknown';
      }
      if (q === 'torch.cuda.current_device') return 'cuda';
      if (q === 'torch.xpu.current_device') return 'xpu';
      if (q === 'torch.accelerator.current_accelerator' || q === 'torch.accelerator.current_device_index') return 'accelerator';
      // DeepSpeed's accelerator abstraction: `get_accelerator().device_name()` (with or without a rank), `current_device_name()`.
      if (calledMethod(n) && /^(device_name|current_device_name|current_device)$/.test(calledMethod(n)!)) {
        const receiver = methodReceiver(n);
        const r = receiver && unwrap(receiver);
        if (r?.type === 'call' && module.callee(r) === 'deepspeed.accelerator.get_accelerator') return 'accelerator';
      }
      if (q && /^torch_xla\b.*\.xla_device$/.test(q)) return 'xla';
      // `.to(int(os.environ["LOCAL_RANK"]))`: an ordinal.
      if (q === undefined && textOf(field(n, 'function') ?? n) === 'int') return 'cuda';
      return 'unknown';
    }
    case 'identifier':
    case 'attribute': {
      if (n.type === 'attribute') {
        const attr = field(n, 'attribute');
        const object = field(n, 'object');
        // `torch.accelerator.current_accelerator().type`, `device.type`: the same device.
        if (attr && object && textOf(attr) === 'type') return deviceKindOf(module, object, at, depth + 1);
        if (attr && object && textOf(attr) === 'device') {
          const framework = frameworkDevice(module, object, at);
          if (framework) return framework;
        }
      }
      const name = dottedName(n);
      if (!name) return 'unknown';
      // Every `.to(device)` in a function reads the same binding: resolve each name once per scope.
      const local = n.type === 'identifier' || name.startsWith('self.');
      const scope = !local ? undefined : name.startsWith('self.') ? module.enclosingClass(at) : module.enclosingFunction(at);
      const cache = nameKindsCache.get(module, () => new Map<string, DeviceKind>());
      const key = `${name}@${scope?.id ?? 'module'}@${depth}`;
      const cached = cache.get(key);
      if (cached !== undefined) return cached;
      cache.set(key, 'unknown');
      let kind = local ? nameKind(module, n, name, at, depth) : attributeKind(module, name, depth);
      if (kind === 'unknown' && ORDINAL_NAME.test(name.slice(name.lastIndexOf('.') + 1))) kind = 'cuda';
      cache.set(key, kind);
      return kind;
    }
    default:
      return 'unknown';
  }
}

/**
 * `args.device`, `cfg.device`: every assignment to that attribute anywhere in the module, else the
 * default of an argparse option of the same name (`parser.add_argument("--device", default="cuda")`).
 */
function attributeKind(module: PythonModule, name: string, depth: number): DeviceKind {
  const kinds: DeviceKind[] = [];
  for (const a of module.assignmentsTo(name)) {
    const left = field(a, 'left');
    const right = field(a, 'right');
    if (left && right && dottedName(left) === name) kinds.push(deviceKindOf(module, right, a, depth + 1));
  }
  if (kinds.length > 0) return combineDeviceKinds(kinds);
  // Only the parsed options object reads argparse defaults (`batch.device` is a tensor's device).
  if (!OPTIONS_OBJECT.test(name)) return 'unknown';
  const option = name.slice(name.lastIndexOf('.') + 1);
  for (const c of module.methodCalls('add_argument')) {
    const args = callArguments(c);
    const dest = args.keywords.get('dest');
    const names = [...args.positional.map((p) => literalValue(p)), dest ? literalValue(dest) : undefined];
    if (!names.some((v) => typeof v === 'string' && v.replace(/^-+/, '').replace(/-/g, '_') === option)) continue;
    const dflt = args.keywords.get('default');
    if (dflt) kinds.push(deviceKindOf(module, dflt, c, depth + 1));
  }
  return combineDeviceKinds(kinds);
}

/** The device of an HF Accelerate `Accelerator(...)` or a Lightning `Fabric(...)` object, when `expr` is bound to one. */
export function frameworkDevice(module: PythonModule, expr: Node, at: Node): DeviceKind | undefined {
  const ctor = frameworkConstructor(module, expr, at);
  if (!ctor) return undefined;
  const q = module.callee(ctor)!;
  if (ACCELERATE.has(q)) return literalValue(callArguments(ctor).keywords.get('cpu')) === true ? 'cpu' : 'accelerator';
  // Fabric's accelerator defaults to "auto": the GPU when there is one.
  const kind = lightningAcceleratorKind(module, ctor);
  const acc = callArguments(ctor).keywords.get('accelerator');
  return kind === 'absent' || (acc && literalValue(acc) === 'auto') ? 'accelerator' : kind;
}

/** The `Accelerator(...)` / `Fabric(...)` call a name (`accelerator`, `self.fabric`) is bound to. */
export function frameworkConstructor(module: PythonModule, expr: Node, at: Node): Node | undefined {
  const n = unwrap(expr);
  const isFramework = (c: Node) => {
    const q = module.callee(c);
    return q !== undefined && (ACCELERATE.has(q) || FABRIC.has(q));
  };
  if (n.type === 'call') return isFramework(n) ? n : undefined;
  const name = dottedName(n);
  if (!name || !module.importsAny('accelerate', 'lightning', 'lightning_fabric')) return undefined;
  for (const b of bindingsOf(module, name, at)) {
    if (b.kind !== 'value') continue;
    const v = unwrap(b.value);
    if (v.type === 'call' && isFramework(v)) return v;
  }
  return undefined;
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
  return combineDeviceKinds(kinds);
}

type SimpleBinding = { kind: 'value'; value: Node; assignment: Node } | { kind: 'parameter'; parameter: Node } | { kind: 'opaque' };

const assignmentsCache = new KeyedFact<string, Array<{ value?: Node; assignment: Node }>>();

/** Plain `name = value` assignments of one name, found from its occurrences (text search) rather than a scan of every assignment. */
function assignmentsOf(module: PythonModule, name: string): Array<{ value?: Node; assignment: Node }> {
  return assignmentsCache.get(module, name, () => {
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

