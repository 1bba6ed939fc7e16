import type { Fix } from '../../../shared/findings';
import { calledMethod, contains, dottedName, field, methodReceiver, namedChildren, nodeRange, parentOf, textOf, unwrap, type Node } from '../../engine/syntax';
import { replaceNode } from '../../python/edits';
import type { PythonModule } from '../../python/module';
import { defineRule, type Reporter } from '../rule';
import { callGraph, callTarget, importedCalls, onExitPath } from '../../python/callgraph';
import { trainsOnAccelerator } from '../../python/accelerator';
import { isTensorBackward, underIntervalGuard } from './context';

/** Tensor methods that copy to the host and wait for the device. */
const SYNC_METHODS = new Set(['item', 'cpu', 'numpy', 'tolist', 'nonzero']);
/** Cheap text filter: any of the sync spellings this rule knows. */
const SYNC_HINT = /\.(item|cpu|numpy|tolist|nonzero)\(|\b(float|int|bool|print)\(|torch\.(is|any|all|equal|allclose)/;
/** torch functions whose result, used as an `if`/`while` condition, is read on the host. */
const CONDITION_CALLS = new Set(['torch.isnan', 'torch.isinf', 'torch.isfinite', 'torch.any', 'torch.all', 'torch.equal', 'torch.allclose']);
/** Tensor reductions: `float(x.sum())` reads a device scalar on the host. */
const REDUCTIONS = new Set(['sum', 'mean', 'max', 'min', 'norm', 'std', 'var', 'prod']);

export default defineRule({
  code: 'LOOP001',
  name: 'host-device-sync',
  family: 'LOOP',
  severity: 'warning',
  confidence: 'medium',
  fix: 'unsafe',
  requiresAccelerator: true,
  skipTestFiles: true,
  messages: {
    syncInLog: '{{sync}} inside self.log(...) forces a host-device sync {{where}}: self.log takes the tensor and reads it only when it logs. Pass the tensor.',
    sync: '{{sync}} waits for the GPU {{where}} (a host-device sync), so the CPU cannot queue the next step ahead. Keep the value on the device (total += loss.detach()) and read it every N steps (if step % log_every == 0).',
    tensorCondition: '{{keyword}} {{condition}}: tests the tensor {{tensor}} on the host {{where}}, so the CPU waits for the GPU (a host-device sync). Keep the branch on the device (torch.where, or clip_grad_norm_ which scales without a test) or test it every N steps.',
  },
  docs: `## What it does
Finds host-device synchronisations on every training step: \`.item()\`, \`.cpu()\`, \`.numpy()\`, \`.tolist()\`,
\`.nonzero()\`, \`float(loss)\` / \`int(loss)\`, \`print(loss)\`, \`if torch.isnan(loss):\` and \`if\`/\`while\` tests on a tensor
(\`if norm > theta:\` where \`norm\` comes from torch ops, \`while loss > eps:\`) in the body of a training loop, in a
Lightning \`training_step\` / Hugging Face \`compute_loss\`, or in a function the training step calls, one or two calls
deep: a helper (\`accuracy(y_hat, y)\`), a \`self.\` method, a method of an object built from a class of the same
module (\`meter.add(...)\`), or a step split across methods (\`run_loop → run_step → forward_backward\`). A sync inside
such a function is reported where it happens, with the call in the training loop as the related location. Across
files, one module deep: a function of \`utils.py\` that a training script in the same folder imports and calls in its
step loop (\`utils.clip_gradients(model, clip)\`) is per-step work too, and a loop in \`engine.py\` whose device is a
parameter (\`train_one_epoch(model, loader, optimizer, device)\`) runs on the accelerator when the script that imports
and calls it trains on one.

## Why is this bad?
CUDA kernels run asynchronously: the CPU queues the next step while the GPU works. Reading a tensor's value on the
host makes the CPU wait until the GPU has finished everything queued. The PyTorch Performance Tuning Guide, "Avoid
unnecessary CPU-GPU synchronization", says to "let the CPU run ahead of the accelerator" and lists \`print(cuda_tensor)\`,
\`cuda_tensor.item()\`, memory copies, \`nonzero()\` and control flow on CUDA results. Lightning: "Don't call \`.item()\`
anywhere in your code. Use \`.detach()\` instead". The AMP recipe names \`.item()\` calls as a reason the "speedup with
Amp is minor".

Not reported: calls under a logging interval (\`if step % 100 == 0:\`; a \`%\` branch that trains, such as a GAN's
generator step \`if i % n_critic == 0: g_loss.backward(); opt_g.step()\`, is a training step of its own, and a sync beside
it is reported), in functions the training step calls only under
such an interval, in a branch that ends the run or the loop (\`if not math.isfinite(loss.item()): print(loss.item());
sys.exit(1)\`: the print runs once, on the way out; the test itself runs every step and is reported), at epoch end (outside the step loop), in evaluation: loops and functions that switch the model to
\`model.eval()\` with autograd off (\`@torch.no_grad()\`, \`@torch.inference_mode()\`, or a \`with torch.no_grad():\`
block), whatever they are named, since evaluation must gather its results on the host; on the CPU batch before it
is moved to the device, and in modules that place nothing on an accelerator (CPU-only code has nothing to synchronise
with; a script that only prints \`torch.cuda.is_available()\` is CPU-only). Any accelerator counts: \`.to(local_rank)\`,
\`f"cuda:{rank}"\`, \`torch.accelerator.current_accelerator()\`, \`"mps"\`, \`accelerator.device\`, a Fabric or DeepSpeed
setup. Lightning's \`self.log("loss", loss)\` takes the tensor and syncs only
when it logs; passing \`loss.item()\` to it forces a sync every step.

## Example
\`\`\`python
import torch

def train(model, loader, opt):
    model.cuda()
    losses = []
    for x, y in loader:
        x, y = x.cuda(), y.cuda()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses
\`\`\`

## Use instead
\`\`\`python
import torch

def train(model, loader, opt, log_every=100):
    model.cuda()
    losses = []
    running = torch.zeros((), device="cuda")
    for step, (x, y) in enumerate(loader):
        x, y = x.cuda(), y.cuda()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        running += loss.detach()
        if step % log_every == 0:
            losses.append(running.item() / log_every)
            running.zero_()
    return losses
\`\`\`

## Fix safety
Inside Lightning's \`self.log(...)\` / \`self.log_dict(...)\` the fix drops \`.item()\` and passes the tensor; Lightning
logs the same value, so the fix is safe. For \`total += loss.item()\` the fix accumulates on the device
(\`total += loss.detach()\`): \`total\` becomes a tensor, so code that formats or stores it may need \`.item()\` at the
log interval; that fix is unsafe. Other cases need a logging interval and are left to you.

## References
- PyTorch Performance Tuning Guide, "Avoid unnecessary CPU-GPU synchronization": https://pytorch.org/tutorials/recipes/recipes/tuning_guide.html
- Lightning, "Speed up model training", Things to avoid: https://lightning.ai/docs/pytorch/stable/advanced/speed.html
- PyTorch AMP recipe: https://pytorch.org/tutorials/recipes/recipes/amp_recipe.html
`,

  checkPython(module, reporter) {
    if (!module.importsAny('torch', 'lightning', 'pytorch_lightning', 'transformers')) return;
    if (!SYNC_HINT.test(module.text) || /\baccelerator\s*=\s*["']cpu["']/.test(module.text)) return;
    const seen = new Set<number>();
    const graph = callGraph(module);
    // `train_one_epoch(model, loader, device)` takes its device from the script beside it that calls it: that
    // script says whether the loop runs on an accelerator.
    const fromImporters = () => importedCalls(module).filter((c) => trainsOnAccelerator(c.importer));
    const cuda =
      trainsOnAccelerator(module) ||
      (graph.stepLoops.length > 0 && fromImporters().some((c) => graph.stepLoops.some((l) => contains(c.fn, l))));
    // Lightning and the HF Trainer put the model on the GPU themselves: no explicit `.cuda()` is needed.
    const framework = module.importsAny('lightning', 'pytorch_lightning', 'transformers');
    if (cuda) {
      for (const loop of graph.stepLoops) {
        const body = field(loop, 'body');
        if (body) checkRegion(module, body, loop, loopTargets(loop), new Set(), 'on every training step', undefined, seen, reporter);
      }
    }
    if (cuda || framework) {
      for (const fn of graph.stepMethods) {
        const body = field(fn, 'body');
        if (body) checkRegion(module, body, fn, new Set(), new Set(), `in ${module.functionName(fn)}(), on every training step`, undefined, seen, reporter);
      }
    }
    for (const { fn, callSite, direct } of graph.perStep.values()) {
      if (!cuda && !(framework && graph.stepMethods.some((m) => contains(m, callSite)))) continue;
      const body = field(fn, 'body');
      if (body) checkRegion(module, body, fn, new Set(), tensorParameters(module, direct, fn), `in ${module.functionName(fn)}(), which runs on every training step`, callSite, seen, reporter);
    }
    // A helper of this module that a training script beside it calls on every step (`utils.clip_gradients(...)`).
    const perStepElsewhere = new Map<number, { fn: Node; importer: PythonModule; call: Node }>();
    for (const c of fromImporters()) if (c.perStep && !perStepElsewhere.has(c.fn.id)) perStepElsewhere.set(c.fn.id, c);
    for (const { fn, importer, call } of perStepElsewhere.values()) {
      const body = field(fn, 'body');
      const where = `in ${module.functionName(fn)}(), which ${importer.path} calls on every training step (line ${call.startPosition.row + 1})`;
      if (body) checkRegion(module, body, fn, new Set(), new Set(), where, undefined, seen, reporter);
    }
  },
});

/** Names bound by the loop header (`for x, y in loader`): the CPU batch until it is moved. */
function loopTargets(loop: Node): Set<string> {
  const out = new Set<string>();
  const left = field(loop, 'left');
  if (!left) return out;
  const walk = (n: Node) => {
    if (n.type === 'identifier') out.add(textOf(n));
    else for (const c of namedChildren(n)) walk(c);
  };
  walk(left);
  return out;
}

function checkRegion(
  module: PythonModule, body: Node, region: Node, cpuBatch: Set<string>, tensorArgs: Set<string>, where: string,
  callSite: Node | undefined, seen: Set<number>, reporter: Reporter,
): void {
  const lossNames = new Set<string>(tensorArgs);
  const calls = module.callsWithin(body);
  for (const c of calls) {
    if (!isTensorBackward(c)) continue;
    const r = methodReceiver(c);
    const name = r && dottedName(r);
    if (name) lossNames.add(name);
  }
  for (const call of calls) {
    if (seen.has(call.id)) continue;
    const sync = syncKind(module, call, lossNames);
    if (!sync) continue;
    if (underIntervalGuard(call, region) || onExitPath(call, region)) continue;
    if (onCpuBatch(module, call, body, cpuBatch)) continue;
    seen.add(call.id);
    const logged = insideLightningLog(call);
    reporter.report({
      range: nodeRange(call),
      messageId: logged ? 'syncInLog' : 'sync',
      data: { sync, where },
      related: callSite ? [{ range: nodeRange(callSite), message: 'called from the training loop here' }] : [],
      fixes: syncFixes(module, call, logged),
    });
  }
  for (const cond of tensorConditions(module, body, region, lossNames)) {
    if (seen.has(cond.node.id) || underIntervalGuard(cond.node, region)) continue;
    seen.add(cond.node.id);
    reporter.report({
      range: nodeRange(cond.node),
      messageId: 'tensorCondition',
      data: { keyword: cond.keyword, condition: textOf(cond.node), tensor: cond.tensor, where },
      related: callSite ? [{ range: nodeRange(callSite), message: 'called from the training loop here' }] : [],
      fixes: [],
    });
  }
}

/**
 * Parameters of a per-step helper that receive the loss tensor at its call (`self.log(loss)` →
 * `def log(self, value)`): `print(value)` there reads the same device tensor.
 */
function tensorParameters(module: PythonModule, direct: Node, fn: Node): Set<string> {
  const out = new Set<string>();
  const caller = module.enclosingFunction(direct);
  const losses = caller ? callerLosses(module, caller) : new Set<string>();
  if (losses.size === 0) return out;
  const params = namedChildren(field(fn, 'parameters') ?? fn)
    .filter((p) => p.type === 'identifier' || p.type === 'typed_parameter' || p.type === 'default_parameter' || p.type === 'typed_default_parameter')
    .map((p) => textOf(p.type === 'identifier' ? p : (field(p, 'name') ?? p.namedChild(0) ?? p)));
  const method = module.enclosingClass(fn) !== undefined && params[0] === 'self' ? 1 : 0;
  const args = namedChildren(field(direct, 'arguments') ?? direct).filter((a) => a.type !== 'comment');
  args.forEach((a, i) => {
    if (a.type === 'keyword_argument') {
      const k = field(a, 'name');
      const v = field(a, 'value');
      if (k && v && losses.has(textOf(unwrap(v))) && params.includes(textOf(k))) out.add(textOf(k));
    } else if (losses.has(textOf(unwrap(a))) && params[i + method]) {
      out.add(params[i + method]);
    }
  });
  return out;
}

/** Loss tensors of a function that calls per-step helpers, once per function: every helper it calls asks. */
function callerLosses(module: PythonModule, caller: Node): Set<string> {
  let byFunction = lossesByCaller.get(module);
  if (!byFunction) lossesByCaller.set(module, (byFunction = new Map()));
  const known = byFunction.get(caller.id);
  if (known) return known;
  const scope = field(caller, 'body');
  const losses = scope ? backwardReceivers(module, scope) : new Set<string>();
  byFunction.set(caller.id, losses);
  if (!scope) return losses;
  // Lightning's training_step returns the loss for the framework to call backward on.
  if (callGraph(module).stepMethods.some((m) => m.id === caller.id)) {
    for (const r of module.returns) {
      const value = contains(scope, r) ? r.namedChild(0) : null;
      if (value?.type === 'identifier') losses.add(textOf(value));
    }
  }
  // `loss = self.forward_backward(batch)`: a local function that returns the tensor it called backward on.
  for (const a of module.assignments) {
    if (!contains(scope, a)) continue;
    const left = field(a, 'left');
    const right = field(a, 'right');
    const value = right && unwrap(right);
    const target = value?.type === 'call' ? callTarget(module, value) : undefined;
    const tBody = target && field(target, 'body');
    if (left?.type !== 'identifier' || !tBody) continue;
    const returned = backwardReceivers(module, tBody);
    if (module.returns.some((r) => contains(tBody, r) && r.namedChild(0) !== null && returned.has(textOf(r.namedChild(0)!)))) losses.add(textOf(left));
  }
  return losses;
}
const lossesByCaller = new WeakMap<PythonModule, Map<number, Set<string>>>();

function backwardReceivers(module: PythonModule, scope: Node): Set<string> {
  const out = new Set<string>();
  for (const c of module.callsWithin(scope)) {
    const r = isTensorBackward(c) ? methodReceiver(c) : undefined;
    const name = r && dottedName(r);
    if (name) out.add(name);
  }
  return out;
}

/** torch namespaces whose results are not device tensors (devices, flags, distributed bookkeeping, modules). */
const NOT_TENSOR = /^torch\.(cuda|backends|distributed|utils|jit|device|dtype|nn\.(?!functional\.|utils\.clip_grad)|optim|profiler|autograd|hub|onnx|compile|is_|get_|set_|manual_seed|load|save|accelerator|mps|cpu|xpu|version|numel|finfo|iinfo|Size|Generator|no_grad|enable_grad|inference_mode|autocast|amp|__)/;
/** Factories that build a CPU tensor unless given a device: `if torch.rand(1) < p:` reads no device memory. */
const CPU_FACTORY = /^torch\.(rand|randn|randint|randperm|rand_like|zeros|ones|empty|full|tensor|as_tensor|from_numpy|arange|linspace|logspace|bernoulli|multinomial|normal)$/;

/**
 * `if`/`while` tests whose value is a tensor from torch ops (`norm = torch.sqrt(...)`; `if norm > theta:`),
 * or the loss itself (`while loss > eps:`): branching on it reads it on the host. Names bound from torch
 * calls are followed in the region's function; tests with `is` / `in` and tests inside calls are not syncs
 * this rule can tell apart.
 */
function tensorConditions(module: PythonModule, body: Node, region: Node, lossNames: Set<string>): Array<{ node: Node; tensor: string; keyword: string }> {
  if (region.type !== 'while_statement' && !/\b(if|while)\b/.test(textOf(body))) return [];
  const tensors = new Set(lossNames);
  const fn = region.type === 'function_definition' ? region : module.enclosingFunction(region);
  const scopeBody = fn ? field(fn, 'body') : undefined;
  for (const a of scopeBody ? module.assignments.filter((x) => contains(scopeBody, x)) : []) {
    const left = field(a, 'left');
    const right = field(a, 'right');
    if (left?.type !== 'identifier' || !right) continue;
    const v = unwrap(right);
    if (v.type !== 'call') continue;
    const q = module.callee(v);
    if (!q?.startsWith('torch.') || NOT_TENSOR.test(q)) continue;
    if (CPU_FACTORY.test(q) && !/\bdevice\s*=/.test(textOf(field(v, 'arguments') ?? v))) continue;
    tensors.add(textOf(left));
  }
  if (tensors.size === 0) return [];
  const out: Array<{ node: Node; tensor: string; keyword: string }> = [];
  // A step loop written `while loss > eps:` tests the tensor once per step in its own header.
  const own = region.type === 'while_statement' ? [region] : [];
  for (const stmt of [...own, ...body.descendantsOfType(['if_statement', 'while_statement', 'elif_clause'])]) {
    if (!stmt || (module.enclosingFunction(stmt)?.id ?? -1) !== (fn?.id ?? -1)) continue;
    const cond = field(stmt, 'condition');
    const tensor = cond && tensorOperand(cond, tensors);
    if (cond && tensor) out.push({ node: cond, tensor, keyword: stmt.type === 'while_statement' ? 'while' : stmt.type === 'elif_clause' ? 'elif' : 'if' });
  }
  return out;
}

function tensorOperand(node: Node, tensors: Set<string>): string | undefined {
  switch (node.type) {
    case 'identifier':
      return tensors.has(textOf(node)) ? textOf(node) : undefined;
    case 'comparison_operator': {
      // `x is None`, `k in d`: identity and membership tests read no tensor value.
      const ops = node.children.filter((c) => c !== null && !c.isNamed).map((c) => c!.type);
      if (ops.some((o) => o === 'is' || o === 'in' || o === 'is not' || o === 'not in' || o === 'not')) return undefined;
      for (const c of namedChildren(node)) {
        const t = tensorOperand(c, tensors);
        if (t) return t;
      }
      return undefined;
    }
    case 'boolean_operator':
    case 'not_operator':
    case 'parenthesized_expression':
      for (const c of namedChildren(node)) {
        const t = tensorOperand(c, tensors);
        if (t) return t;
      }
      return undefined;
    default:
      return undefined;
  }
}

/** What kind of sync a call is (for the message), or undefined. */
function syncKind(module: PythonModule, call: Node, lossNames: Set<string>): string | undefined {
  const method = calledMethod(call);
  if (method && SYNC_METHODS.has(method)) {
    // `.cpu().numpy()`: report the first sync of the chain only.
    for (let r = methodReceiver(call); r; r = r.type === 'call' ? methodReceiver(r) : r.type === 'attribute' ? field(r, 'object') : undefined) {
      if (r.type === 'call' && SYNC_METHODS.has(calledMethod(r) ?? '')) return undefined;
    }
    const receiver = methodReceiver(call);
    // `model.cpu()` moves a module, `x.numpy()` may be NumPy: only tensor-looking receivers count for those.
    if (method === 'cpu' && receiver && /^(self\.)?(model|net|module)\b/.test(textOf(receiver))) return undefined;
    return `.${method}()`;
  }
  const fn = field(call, 'function');
  if (fn?.type !== 'identifier') {
    const q = module.callee(call);
    if (q && CONDITION_CALLS.has(q) && inCondition(call)) return `${textOf(fn!)}(...) in a condition`;
    return undefined;
  }
  const name = textOf(fn);
  if (module.imports.resolveDotted(name) !== undefined || module.findFunction(name)) return undefined;
  const args = namedChildren(field(call, 'arguments') ?? call).filter((a) => a.type !== 'comment' && a.type !== 'keyword_argument');
  if ((name === 'float' || name === 'int' || name === 'bool') && args.length === 1) {
    const a = unwrap(args[0]);
    if (lossNames.has(textOf(a))) return `${name}(${textOf(a)})`;
    if (a.type === 'call' && REDUCTIONS.has(calledMethod(a) ?? '') && module.callee(a) === undefined) return `${name}(...)`;
    return undefined;
  }
  if (name === 'print') {
    for (const a of args) {
      const u = unwrap(a);
      if (lossNames.has(textOf(u))) return `print(${textOf(u)})`;
      if (u.type === 'string') {
        for (const interp of namedChildren(u).filter((c) => c.type === 'interpolation')) {
          const expr = interp.namedChild(0);
          if (expr && lossNames.has(textOf(expr))) return `print(f"{${textOf(expr)}}")`;
        }
      }
    }
  }
  return undefined;
}

function inCondition(call: Node): boolean {
  for (let n = call, p = parentOf(call); p; n = p, p = parentOf(p)) {
    if ((p.type === 'if_statement' || p.type === 'while_statement' || p.type === 'elif_clause') && field(p, 'condition')?.id === n.id) return true;
    if (p.type === 'block' || p.type === 'expression_statement') return false;
  }
  return false;
}

/**
 * `.tolist()` on the batch the loader yielded, before it is moved to the GPU, copies nothing from the
 * device: skip receivers rooted at a loop target that the loop has not rebound before the call.
 */
function onCpuBatch(module: PythonModule, call: Node, body: Node, cpuBatch: Set<string>): boolean {
  if (cpuBatch.size === 0) return false;
  let root = methodReceiver(call);
  while (root && (root.type === 'call' || root.type === 'attribute' || root.type === 'subscript')) {
    root = root.type === 'call' ? field(root, 'function') : field(root, root.type === 'attribute' ? 'object' : 'value');
  }
  if (!root || root.type !== 'identifier' || !cpuBatch.has(textOf(root))) return false;
  const name = textOf(root);
  for (const a of module.assignments) {
    if (a.startIndex < body.startIndex) continue;
    if (a.startIndex >= call.startIndex) break;
    const left = field(a, 'left');
    if (left && new RegExp(`(^|[\\s,(])${name}([\\s,)]|$)`).test(textOf(left))) return false;
  }
  return true;
}

/** The `.item()` is an argument of Lightning's `self.log(...)` / `self.log_dict(...)`. */
function insideLightningLog(call: Node): boolean {
  if (calledMethod(call) !== 'item') return false;
  for (let p = parentOf(call); p; p = parentOf(p)) {
    if (p.type === 'call') {
      const m = calledMethod(p);
      const r = methodReceiver(p);
      return (m === 'log' || m === 'log_dict') && r !== undefined && textOf(r) === 'self';
    }
    if (p.type !== 'argument_list' && p.type !== 'keyword_argument' && p.type !== 'dictionary' && p.type !== 'pair') return false;
  }
  return false;
}

function syncFixes(module: PythonModule, call: Node, logged: boolean): Fix[] {
  const receiver = methodReceiver(call);
  if (!receiver || calledMethod(call) !== 'item') return [];
  if (logged) return [{ title: 'Pass the tensor to self.log (drop .item())', safe: true, edits: [replaceNode(call, textOf(receiver))] }];
  const parent = parentOf(call);
  if (parent?.type === 'augmented_assignment' && field(parent, 'right')?.id === call.id && textOf(parent).includes('+=')) {
    const detached = /\.detach\(\)$/.test(textOf(receiver)) ? textOf(receiver) : `${textOf(receiver)}.detach()`;
    return [{ title: 'Accumulate on the device (.detach() instead of .item())', safe: false, edits: [replaceNode(call, detached)] }];
  }
  void module;
  return [];
}
