// The one answer to "does this code train on an accelerator": every place a module puts a model or
// tensors on a device, with the device each names (device.ts) and where it is, per module and per
// function. Rules that only make sense off the CPU (host-device syncs, pin_memory, mixed precision,
// TF32, the cuDNN autotuner, HW009's CPU-only training) read it instead of searching the text, so a
// module that only prints `torch.cuda.is_available()` or moves everything to "cpu" is not GPU training,
// and `.to(local_rank)`, `torch.accelerator.current_accelerator()`, `accelerator.device` or
// `fabric.to_device(x)` are.
import { callArguments } from '../engine/calls';
import { calledMethod, contains, dottedName, endIndexOf, field, methodReceiver, namedChildren, parentOf, unwrap, type Node } from '../engine/syntax';
import { combineDeviceKinds, deviceKindOf, frameworkConstructor, frameworkDevice, isAcceleratorKind, isDtype, LIGHTNING_TRAINERS, lightningAcceleratorKind, type DeviceKind } from './device';
import { ModuleFact } from './facts';
import type { PythonModule } from './module';

export interface DevicePlacement {
  /** The call that places something: `x.cuda()`, `x.to(...)`, `torch.zeros(..., device=...)`, `Trainer(accelerator=...)`, `accelerator.prepare(...)`. */
  call: Node;
  /** The expression that names the device, when there is one (`.cuda()` has none). */
  device?: Node;
  kind: DeviceKind;
  how: 'cuda()' | 'to()' | 'device=' | 'set_default_device' | 'accelerator' | 'set_device' | 'device_ids' | 'data_parallel' | 'framework';
}

export interface AcceleratorFacts {
  /** Every placement, on any device, in document order. */
  readonly placements: readonly DevicePlacement[];
  /** Placements on CUDA or on the current accelerator (CUDA when there is a GPU): where CUDA-only advice applies. Moves first, then in document order. */
  readonly mayBeCuda: readonly DevicePlacement[];
  /**
   * Models or tensors go to an accelerator: a placement names one, or a placement names a device we
   * cannot follow (`.to(device)` with `device` a parameter) in code that also uses a torch accelerator API.
   */
  readonly onAccelerator: boolean;
}

const DATA_PARALLEL = new Set(['torch.nn.DataParallel', 'torch.nn.parallel.DataParallel', 'torch.nn.parallel.data_parallel.DataParallel']);
const DISTRIBUTED_DATA_PARALLEL = new Set(['torch.nn.parallel.DistributedDataParallel', 'torch.nn.parallel.distributed.DistributedDataParallel']);
const SET_DEVICE: Record<string, DeviceKind> = {
  'torch.cuda.set_device': 'cuda',
  'torch.xpu.set_device': 'xpu',
  'torch.accelerator.set_device_index': 'accelerator',
  'torch.accelerator.set_device_idx': 'accelerator',
};
/** Methods of an Accelerate `Accelerator` / Lightning `Fabric` object that move models, optimizers, loaders or tensors to its device. */
const FRAMEWORK_PLACING_METHODS = new Set(['prepare', 'prepare_model', 'setup', 'setup_module', 'setup_dataloaders', 'to_device']);

/** Words that can only name an accelerator, or a placement through an ordinal or a framework; without any of them a module places nothing on one. */
const MAY_PLACE = /cuda|gpu|accelerat|mps|xpu|xla|tpu|rank|device_id|Fabric|deepspeed|DataParallel|\.to\(\s*\d/;

const factsCache = new ModuleFact<AcceleratorFacts>();

/** The facts for a whole module, computed once per tree. */
export function acceleratorFacts(module: PythonModule): AcceleratorFacts {
  return factsCache.get(module, () => factsOf(module, devicePlacements(module)));
}

/** The same facts restricted to the placements inside one function (nested definitions included). */
export function functionAcceleratorFacts(module: PythonModule, fn: Node): AcceleratorFacts {
  let byFunction = functionFacts.get(module);
  if (!byFunction) functionFacts.set(module, (byFunction = new Map()));
  let facts = byFunction.get(fn.id);
  if (!facts) byFunction.set(fn.id, (facts = factsOf(module, devicePlacements(module).filter((p) => contains(fn, p.call)))));
  return facts;
}
const functionFacts = new WeakMap<PythonModule, Map<number, AcceleratorFacts>>();

function factsOf(module: PythonModule, placements: readonly DevicePlacement[]): AcceleratorFacts {
  // Moves first: rules point at "moved to CUDA here", and `torch.cuda.set_device(rank)` or `device_ids=` move nothing.
  const moves = (p: DevicePlacement) => p.how !== 'set_device' && p.how !== 'device_ids' && p.how !== 'data_parallel';
  const cudaLike = placements.filter((p) => p.kind === 'cuda' || p.kind === 'accelerator');
  const mayBeCuda = [...cudaLike.filter(moves), ...cudaLike.filter((p) => !moves(p))];
  const known = placements.some((p) => isAcceleratorKind(p.kind));
  const onAccelerator = known || (placements.some((p) => p.kind === 'unknown') && usesAcceleratorApi(module));
  return { placements, mayBeCuda, onAccelerator };
}

/** True when the module moves models or tensors to an accelerator (CUDA, MPS, XPU, XLA, or whichever torch finds). */
export function trainsOnAccelerator(module: PythonModule): boolean {
  return acceleratorFacts(module).onAccelerator;
}

/** The placements that put things on CUDA or on the current accelerator, in document order. */
export function cudaPlacements(module: PythonModule): readonly DevicePlacement[] {
  return acceleratorFacts(module).mayBeCuda;
}

const apiCache = new ModuleFact<boolean>();

/**
 * A call into a torch accelerator namespace (`torch.cuda.*`, `torch.accelerator.*`, `torch.xpu.*`,
 * `torch.mps.*`) or a `"cuda"` string: with a placement on a device we cannot follow, the code targets
 * an accelerator. Alone (a script that prints `torch.cuda.is_available()`) it places nothing.
 */
function usesAcceleratorApi(module: PythonModule): boolean {
  return apiCache.get(module, () => {
    if (!/\b(cuda|accelerator|xpu|mps)\b/.test(module.text)) return false;
    if (/["']cuda(:\d+)?["']/.test(module.text)) return true;
    return module.calls.some((c) => /^torch\.(cuda|accelerator|xpu|mps|backends\.mps)\./.test(module.callee(c) ?? ''));
  });
}

const placementsCache = new ModuleFact<readonly DevicePlacement[]>();

/** Every place the module puts a model or tensor on a device, memoised. */
export function devicePlacements(module: PythonModule): readonly DevicePlacement[] {
  return placementsCache.get(module, () => {
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
      if (MAY_PLACE.test(module.text)) out.push(...distributedPlacements(module));
    }
    for (const c of module.importsAny('lightning', 'lightning_fabric') ? module.callsTo(LIGHTNING_TRAINERS) : []) {
      const kind = lightningAcceleratorKind(module, c);
      if (kind !== 'absent') out.push({ call: c, kind, how: 'accelerator' });
    }
    if (module.importsAny('accelerate', 'lightning', 'lightning_fabric')) out.push(...frameworkPlacements(module));
    if (module.importsAny('deepspeed')) {
      // DeepSpeed engines run on the GPU of their local rank.
      for (const c of module.callsTo(['deepspeed.initialize'])) out.push({ call: c, kind: 'cuda', how: 'framework' });
    }
    return out.sort((a, b) => a.call.startIndex - b.call.startIndex);
  });
}

/** `torch.cuda.set_device(rank)`, `DistributedDataParallel(model, device_ids=[local_rank])`, `DataParallel(model)`. */
function distributedPlacements(module: PythonModule): DevicePlacement[] {
  const out: DevicePlacement[] = [];
  for (const c of module.callsTo(Object.keys(SET_DEVICE))) {
    const first = callArguments(c).positional[0];
    out.push({ call: c, device: first, kind: SET_DEVICE[module.callee(c)!], how: 'set_device' });
  }
  // DataParallel only ever runs on GPUs.
  for (const c of module.callsTo(DATA_PARALLEL)) out.push({ call: c, kind: 'cuda', how: 'data_parallel' });
  for (const c of module.callsTo(DISTRIBUTED_DATA_PARALLEL)) {
    const ids = callArguments(c).keywords.get('device_ids');
    if (!ids) continue; // CPU (gloo) DDP takes no device_ids.
    const list = unwrap(ids);
    const kinds = list.type === 'list' || list.type === 'tuple' ? namedChildren(list).map((e) => deviceKindOf(module, e, c)) : [deviceKindOf(module, list, c)];
    out.push({ call: c, device: ids, kind: combineDeviceKinds(kinds), how: 'device_ids' });
  }
  return out;
}

/** `accelerator.prepare(model, opt, loader)`, `fabric.setup(model, opt)`, `fabric.to_device(batch)`. */
function frameworkPlacements(module: PythonModule): DevicePlacement[] {
  const out: DevicePlacement[] = [];
  for (const method of FRAMEWORK_PLACING_METHODS) {
    for (const c of module.methodCalls(method)) {
      const receiver = methodReceiver(c);
      const kind = receiver && frameworkDevice(module, receiver, c);
      if (kind) out.push({ call: c, kind, how: 'framework' });
    }
  }
  return out;
}

/** A name handed to `accelerator.prepare(...)` / `fabric.setup_dataloaders(...)` (and the like), with the call and the framework. */
export interface PreparedName {
  name: string;
  call: Node;
  framework: 'Accelerate' | 'Fabric';
}

const preparedCache = new ModuleFact<readonly PreparedName[]>();

/**
 * Names handed to a framework's prepare call. The framework re-creates or wraps a loader and moves its batches to
 * the device, but keeps the loader's own `pin_memory` (Accelerate's `prepare_data_loader` copies it, default False):
 * it does not pin for you (LOAD002's docs).
 */
export function preparedByFramework(module: PythonModule): readonly PreparedName[] {
  return preparedCache.get(module, () => {
    const out: PreparedName[] = [];
    for (const p of devicePlacements(module)) {
      if (p.how !== 'framework') continue;
      const receiver = methodReceiver(p.call);
      const ctor = receiver && frameworkConstructor(module, receiver, p.call);
      if (!ctor) continue;
      const framework = module.callee(ctor)?.startsWith('accelerate.') ? 'Accelerate' : 'Fabric';
      for (const a of callArguments(p.call).positional) {
        const name = dottedName(a);
        if (name) out.push({ name, call: p.call, framework });
      }
    }
    return out;
  });
}

/**
 * Device placements of a hard-coded CPU: every placement in the module names the CPU and nothing
 * mentions another device. Empty when the module never says where it trains.
 */
export function hardCodedCpuPlacements(module: PythonModule): readonly DevicePlacement[] {
  const all = devicePlacements(module);
  if (all.length === 0 || all.some((p) => p.kind !== 'cpu')) return [];
  if (mentionsAccelerator(module)) return [];
  return all;
}

const mentionedCache = new ModuleFact<boolean>();

/**
 * The code (comments aside) names an accelerator somewhere: `cuda`, `gpu`, `mps`, `xpu`, `xla`, `tpu`,
 * `torch.accelerator`. HW009 leaves such modules alone: their author has thought about devices, even
 * where no placement can be followed.
 */
export function mentionsAccelerator(module: PythonModule): boolean {
  return mentionedCache.get(module, () => /\b(cuda|mps|gpu|xla|xpu|tpu|accelerator)\b/i.test(module.text.replace(/#.*$/gm, '')));
}

/** Frameworks that choose the device (and often the precision) themselves, outside this module's code. */
export function deviceManagedByFramework(module: PythonModule): boolean {
  return module.importsAny('accelerate', 'deepspeed', 'lightning', 'lightning_fabric', 'torch_xla', 'horovod', 'colossalai', 'ignite', 'composer', 'fairscale', 'keras', 'tensorflow', 'jax');
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

/**
 * A module-level loop that trains before anything is put on an accelerator: no CUDA placement inside its body,
 * and every placement of the module comes after it (a notebook that times a CPU baseline first and defines
 * `device = "cuda"` in a later cell). Loops inside functions are not judged: their callers may place the model.
 */
export function trainsBeforeAccelerator(module: PythonModule, loop: Node): boolean {
  if (module.enclosingFunction(loop)) return false;
  return cudaPlacements(module).every((p) => p.call.startIndex >= endIndexOf(loop));
}
