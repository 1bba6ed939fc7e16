import type { Edit, Fix } from '../../../shared/findings';
import { dottedName, endIndexOf, field, methodReceiver, namedChildren, parentOf, textOf, type Node } from '../../engine/syntax';
import { ensureImport } from '../../python/edits';
import { ModuleFact } from '../../python/facts';
import type { PythonModule } from '../../python/module';
import { defineRule } from '../rule';
import { torchModuleName } from './context';

/** Functions that evaluate by name (val*, eval*, test*, predict*, infer*). */
const EVAL_FUNCTION = /^_*(val|valid|validate|validation|eval|evaluate|evaluation|test|predict|prediction|infer|inference)(_|$)/i;
/** Receivers that are a model when called: `model(x)`, `self.net(x)`, `ema_model(x)`. */
const MODEL_NAME = /^(self\.)?(model|net|network|classifier|encoder|backbone|ema|ema_model|teacher|student|detector)\w*$/i;
/** Cheap text filter: an `.eval()` call or a function named like evaluation. */
const EVAL_HINT = /\.eval\(\)|def\s+_*(val|valid|eval|test|predict|infer)/i;
/** Context managers and decorators that turn gradient recording off (or on purpose on). */
const GRAD_CONTEXT = /no_grad|inference_mode|set_grad_enabled|enable_grad/;
/** Loops that train or attack (gradients needed): adversarial examples, test-time adaptation. */
const NEEDS_GRAD = /\.backward\(|autograd\.grad\(|\.step\(|requires_grad/;

export default defineRule({
  code: 'LOOP005',
  name: 'eval-without-no-grad',
  family: 'LOOP',
  severity: 'warning',
  confidence: 'medium',
  fix: 'unsafe',
  skipTestFiles: true,
  messages: {
    evalWithAutograd: 'This loop runs {{model}}(...) {{why}} with autograd on: every forward records its activations for a backward pass that never comes, costing memory and time. Wrap it in torch.no_grad() or torch.inference_mode() (or decorate the function with @torch.no_grad()).',
  },
  docs: `## What it does
Finds PyTorch evaluation loops that run model forwards while autograd is on: a loop after \`model.eval()\`, or in a
function named \`val*\` / \`eval*\` / \`test*\` / \`predict*\`, with no enclosing \`with torch.no_grad()\` /
\`torch.inference_mode()\`, no such decorator, and no caller in the file that wraps it.

## Why is this bad?
\`model.eval()\` only switches dropout and batch norm to inference behaviour; it does not stop autograd. The PyTorch
Performance Tuning Guide: "PyTorch saves intermediate buffers from all operations which involve tensors that require
gradients … \`torch.no_grad()\` … accelerates execution and reduces the amount of required memory." Without it, every
validation batch keeps its activations alive until the output is dropped, which limits the evaluation batch size and
can run out of memory where training did not.

Lightning (\`validation_step\`, \`test_step\`) and the Hugging Face \`Trainer\` already evaluate under \`no_grad\`; their
hooks are not reported, nor are loops that call \`backward()\` (adversarial attacks, test-time adaptation).

## Example
\`\`\`python
import torch

def evaluate(model, loader):
    model.eval()
    correct = 0
    for x, y in loader:
        correct += (model(x).argmax(1) == y).sum().item()
    return correct / len(loader.dataset)
\`\`\`

## Use instead
\`\`\`python
import torch

@torch.no_grad()
def evaluate(model, loader):
    model.eval()
    correct = 0
    for x, y in loader:
        correct += (model(x).argmax(1) == y).sum().item()
    return correct / len(loader.dataset)
\`\`\`

## Fix safety
The fix wraps the loop in \`with torch.no_grad():\`. Outputs computed inside no longer require gradients, so code that
later back-propagates through them (meta-learning on validation outputs, for example) would break; the fix is
therefore unsafe. \`torch.inference_mode()\` is faster still but its tensors cannot be used by autograd at all.

## References
- PyTorch Performance Tuning Guide, "Disable gradient calculation for validation or inference": https://pytorch.org/tutorials/recipes/recipes/tuning_guide.html
- \`torch.no_grad\`: https://pytorch.org/docs/stable/generated/torch.no_grad.html
- \`torch.inference_mode\`: https://pytorch.org/docs/stable/generated/torch.inference_mode.html
`,

  checkPython(module, reporter) {
    if (!EVAL_HINT.test(module.text) || !module.importsAny('torch')) return;
    const candidates = new Map<number, { loop: Node; model: string; why: string }>();

    // A loop after `m.eval()` in the same scope, before `m.train()`, that calls `m(...)`.
    for (const ev of module.methodCalls('eval')) {
      const receiver = methodReceiver(ev);
      const model = receiver && dottedName(receiver);
      if (!model || (field(ev, 'arguments') && namedChildren(field(ev, 'arguments')!).length > 0)) continue;
      const scope = module.enclosingFunction(ev);
      const end = nextTrain(module, model, ev, scope);
      for (const loop of loopsIn(module, scope)) {
        if (loop.startIndex < endIndexOf(ev) || loop.startIndex > end) continue;
        if (callsModel(module, loop, model)) candidates.set(loop.id, { loop, model, why: `after ${model}.eval()` });
      }
    }
    // A loop in a function named like evaluation that calls a model.
    for (const fn of module.functions) {
      if (!EVAL_FUNCTION.test(module.functionName(fn)) || frameworkHook(module, fn)) continue;
      for (const loop of loopsIn(module, fn)) {
        if (candidates.has(loop.id)) continue;
        const model = modelCalled(module, loop);
        if (model) candidates.set(loop.id, { loop, model, why: `in ${module.functionName(fn)}()` });
      }
    }

    const reported: Node[] = [];
    for (const { loop, model, why } of [...candidates.values()].sort((a, b) => a.loop.startIndex - b.loop.startIndex)) {
      if (reported.some((r) => r.startIndex <= loop.startIndex && endIndexOf(loop) <= endIndexOf(r))) continue;
      const fn = module.enclosingFunction(loop);
      if (fn && frameworkHook(module, fn)) continue;
      if (NEEDS_GRAD.test(textOf(loop))) continue;
      if (gradOff(loop) || gradDisabledBefore(module, loop, fn) || callersDisableGrad(module, fn)) continue;
      // Only when some forward in the loop itself still records gradients (`with torch.no_grad():` inside is fine).
      const forwards = module.callsWithin(field(loop, 'body')!).filter((c) => isModelCall(c, model));
      if (forwards.length === 0 || forwards.every((c) => gradOff(c, loop))) continue;
      reported.push(loop);
      reporter.report({
        range: headerRange(loop),
        messageId: 'evalWithAutograd',
        data: { model, why },
        fixes: wrapFix(module, loop),
      });
    }
  },
});

const loopsByFunctionCache = new ModuleFact<Map<number, Node[]>>();

/** Loops whose nearest enclosing function is `scope` (module level when undefined), from a per-module index. */
function loopsIn(module: PythonModule, scope: Node | undefined): Node[] {
  const index = loopsByFunctionCache.get(module, () => {
    const byFn = new Map<number, Node[]>();
    for (const l of module.loops) {
      const key = module.enclosingFunction(l)?.id ?? -1;
      const list = byFn.get(key);
      if (list) list.push(l);
      else byFn.set(key, [l]);
    }
    return byFn;
  });
  return index.get(scope?.id ?? -1) ?? [];
}

/** Where `m.train()` switches back after `ev` in the same scope (or the scope's end). */
function nextTrain(module: PythonModule, model: string, ev: Node, scope: Node | undefined): number {
  let end = scope ? endIndexOf(scope) : module.text.length;
  for (const t of module.methodCalls('train')) {
    if (t.startIndex <= ev.startIndex || t.startIndex >= end) continue;
    const r = methodReceiver(t);
    if (r && dottedName(r) === model && module.enclosingFunction(t)?.id === scope?.id) end = t.startIndex;
  }
  return end;
}

function isModelCall(call: Node, model: string): boolean {
  const fn = field(call, 'function');
  return fn !== undefined && dottedName(fn) === model;
}

function callsModel(module: PythonModule, loop: Node, model: string): boolean {
  const body = field(loop, 'body');
  return body !== undefined && module.callsWithin(body).some((c) => isModelCall(c, model));
}

function modelCalled(module: PythonModule, loop: Node): string | undefined {
  const body = field(loop, 'body');
  if (!body) return undefined;
  for (const c of module.callsWithin(body)) {
    const fn = field(c, 'function');
    const name = fn && dottedName(fn);
    if (name && MODEL_NAME.test(name) && module.imports.resolveDotted(name) === undefined) return name;
  }
  return undefined;
}

/** Lightning and HF run their evaluation hooks under no_grad; methods of their subclasses are theirs to manage. */
function frameworkHook(module: PythonModule, fn: Node): boolean {
  const cls = module.enclosingClass(fn);
  if (!cls) return false;
  return module.baseClasses(cls).some((b) => /^(lightning|pytorch_lightning|transformers|accelerate)\b/.test(b) || /LightningModule|Callback|Trainer$/.test(b));
}

/** Under `with torch.no_grad():` (or inference_mode / set_grad_enabled / enable_grad) or a decorated function. */
function gradOff(node: Node, stop?: Node): boolean {
  for (let p = parentOf(node); p && p.id !== stop?.id; p = parentOf(p)) {
    if (p.type === 'with_statement') {
      const body = field(p, 'body');
      const header = body ? textOf(p).slice(0, body.startIndex - p.startIndex) : textOf(p);
      if (GRAD_CONTEXT.test(header)) return true;
    }
    if (p.type === 'decorated_definition') {
      for (const d of namedChildren(p)) if (d.type === 'decorator' && GRAD_CONTEXT.test(textOf(d))) return true;
    }
  }
  return false;
}

/** `torch.set_grad_enabled(False)` or a no_grad context entered by hand earlier in the function. */
function gradDisabledBefore(module: PythonModule, loop: Node, fn: Node | undefined): boolean {
  const start = fn ? fn.startIndex : 0;
  return /set_grad_enabled\(\s*False|no_grad\(\)\.__enter__|inference_mode\(\)\.__enter__/.test(module.text.slice(start, loop.startIndex));
}

/** Every caller of the function in this file wraps the call in no_grad (or there is such a caller). */
function callersDisableGrad(module: PythonModule, fn: Node | undefined): boolean {
  if (!fn) return false;
  const name = module.functionName(fn);
  const calls = [...module.methodCalls(name), ...module.referencesTo(name).map((r) => parentOf(r)).filter((p): p is Node => p?.type === 'call')];
  return calls.some((c) => gradOff(c) || gradDisabledBefore(module, c, module.enclosingFunction(c)));
}

function headerRange(loop: Node) {
  const head = field(loop, loop.type === 'for_statement' ? 'right' : 'condition') ?? loop;
  return {
    start: { line: loop.startPosition.row, character: loop.startPosition.column },
    end: { line: head.endPosition.row, character: head.endPosition.column },
  };
}

function wrapFix(module: PythonModule, loop: Node): Fix[] {
  const text = textOf(loop);
  if (/"""|'''|\\\r?\n/.test(text)) return [];
  const row = loop.startPosition.row;
  const lineText = module.lines.lineText(row);
  const indent = lineText.slice(0, loop.startPosition.column);
  if (indent.trim() !== '') return [];
  const body = field(loop, 'body');
  const first = body && namedChildren(body)[0];
  if (!first || first.startPosition.row === row) return [];
  const unit = module.lines.lineText(first.startPosition.row).slice(0, first.startPosition.column).slice(indent.length) || '    ';
  const torch = torchModuleName(module) ?? 'torch';
  const edits: Edit[] = [];
  if (!torchModuleName(module)) {
    const imp = ensureImport(module, 'import torch', 'torch');
    if (imp) edits.push(imp);
  }
  const eol = module.lines.eol();
  const lines = text.split(/\r?\n/);
  const wrapped = [`with ${torch}.no_grad():`, `${indent}${unit}${lines[0]}`, ...lines.slice(1).map((l) => (l.trim() === '' ? l : unit + l))].join(eol);
  edits.push({
    range: { start: { line: row, character: loop.startPosition.column }, end: { line: loop.endPosition.row, character: loop.endPosition.column } },
    newText: wrapped,
  });
  return [{ title: `Run the loop under ${torch}.no_grad()`, safe: false, edits }];
}
