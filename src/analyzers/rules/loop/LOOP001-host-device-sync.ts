import type { Fix } from '../../../shared/findings';
import { calledMethod, dottedName, field, methodReceiver, namedChildren, nodeRange, parentOf, textOf, unwrap, type Node } from '../../engine/syntax';
import { replaceNode } from '../../python/edits';
import type { PythonModule } from '../../python/module';
import { defineRule, type Reporter } from '../rule';
import { isTensorBackward, perStepHelpers, stepLoops, underIntervalGuard, usesCuda } from './context';

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
  docs: `## What it does
Finds host-device synchronisations on every training step: \`.item()\`, \`.cpu()\`, \`.numpy()\`, \`.tolist()\`,
\`.nonzero()\`, \`float(loss)\` / \`int(loss)\`, \`print(loss)\` and \`if torch.isnan(loss):\` in the body of a training
loop, in a Lightning \`training_step\` / Hugging Face \`compute_loss\`, or in a helper the training loop calls.

## Why is this bad?
CUDA kernels run asynchronously: the CPU queues the next step while the GPU works. Reading a tensor's value on the
host makes the CPU wait until the GPU has finished everything queued. The PyTorch Performance Tuning Guide, "Avoid
unnecessary CPU-GPU synchronization", says to "let the CPU run ahead of the accelerator" and lists \`print(cuda_tensor)\`,
\`cuda_tensor.item()\`, memory copies, \`nonzero()\` and control flow on CUDA results. Lightning: "Don't call \`.item()\`
anywhere in your code. Use \`.detach()\` instead". The AMP recipe names \`.item()\` calls as a reason the "speedup with
Amp is minor".

Not reported: calls under a logging interval (\`if step % 100 == 0:\`), at epoch end (outside the step loop), in
evaluation loops, on the CPU batch before it is moved to the device, and in modules that place nothing on an
accelerator (CPU-only code has nothing to synchronise with; a script that only prints \`torch.cuda.is_available()\`
is CPU-only). Any accelerator counts: \`.to(local_rank)\`, \`f"cuda:{rank}"\`, \`torch.accelerator.current_accelerator()\`,
\`"mps"\`, \`accelerator.device\`, a Fabric or DeepSpeed setup. Lightning's \`self.log("loss", loss)\` takes the tensor and syncs only
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
    if (!module.importsAny('torch', 'lightning', 'pytorch_lightning', 'transformers') || module.isTestOrDebugFile()) return;
    if (!SYNC_HINT.test(module.text) || /\baccelerator\s*=\s*["']cpu["']/.test(module.text)) return;
    const cuda = usesCuda(module);
    const seen = new Set<number>();
    if (cuda) {
      for (const loop of stepLoops(module)) {
        const body = field(loop, 'body');
        if (body) checkRegion(module, body, loop, loopTargets(loop), 'on every training step', undefined, seen, reporter);
      }
      for (const { fn, callSite } of perStepHelpers(module).values()) {
        const body = field(fn, 'body');
        if (body) checkRegion(module, body, fn, new Set(), `in ${module.functionName(fn)}(), which runs on every training step`, callSite, seen, reporter);
      }
    }
    // Lightning and the HF Trainer put the model on the GPU themselves: no explicit `.cuda()` is needed.
    if (cuda || module.importsAny('lightning', 'pytorch_lightning', 'transformers')) {
      for (const fn of module.stepFunctions()) {
        const body = field(fn, 'body');
        if (body) checkRegion(module, body, fn, new Set(), `in ${module.functionName(fn)}(), on every training step`, undefined, seen, reporter);
      }
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
  module: PythonModule, body: Node, region: Node, cpuBatch: Set<string>, where: string,
  callSite: Node | undefined, seen: Set<number>, reporter: Reporter,
): void {
  const lossNames = new Set<string>();
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
    if (underIntervalGuard(call, region)) continue;
    if (onCpuBatch(module, call, body, cpuBatch)) continue;
    seen.add(call.id);
    const logged = insideLightningLog(call);
    reporter.report({
      range: nodeRange(call),
      message: logged
        ? `${sync} inside self.log(...) forces a host-device sync ${where}: self.log takes the tensor and reads it only when it logs. Pass the tensor.`
        : `${sync} waits for the GPU ${where} (a host-device sync), so the CPU cannot queue the next step ahead. Keep the value on the device (total += loss.detach()) and read it every N steps (if step % log_every == 0).`,
      related: callSite ? [{ range: nodeRange(callSite), message: 'called from the training loop here' }] : [],
      fixes: syncFixes(module, call, logged),
    });
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
