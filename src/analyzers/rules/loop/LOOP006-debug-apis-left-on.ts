import type { Fix } from '../../../shared/findings';
import type { ConfigDocument, ConfigNode } from '../../config/document';
import { argument, callArguments } from '../../engine/calls';
import { calledMethod, contains, field, literalValue, nodeRange, parentOf, textOf, type Node } from '../../engine/syntax';
import { callTarget } from '../../python/callgraph';
import { replaceNode } from '../../python/edits';
import { LIGHTNING_TRAINER } from '../../python/lightning';
import type { PythonModule } from '../../python/module';
import { hotLoops, stepFunctions } from '../../python/training';
import { defineRule, type Reporter } from '../rule';

const SET_DETECT_ANOMALY = new Set(['torch.autograd.set_detect_anomaly', 'torch.autograd.anomaly_mode.set_detect_anomaly']);
const DETECT_ANOMALY = new Set(['torch.autograd.detect_anomaly', 'torch.autograd.anomaly_mode.detect_anomaly']);
const AUTOGRAD_PROFILER = new Set(['torch.autograd.profiler.profile', 'torch.autograd.profiler.emit_nvtx', 'torch.autograd.profile', 'torch.autograd.emit_nvtx']);
const GRADCHECK = new Set(['torch.autograd.gradcheck', 'torch.autograd.gradgradcheck', 'torch.autograd.gradcheck.gradcheck', 'torch.autograd.gradcheck.gradgradcheck']);
/** A guard that makes the debug API opt-in: `if args.debug:`, `if cfg.detect_anomaly:`. */
const DEBUG_GUARD = /debug|anomal|profil|verbose|check|nan|trace|diagnos/i;
const DEBUG_FUNCTION = /debug|profil|check|test|diagnos|benchmark/i;
const PROFILERS = new Set(['simple', 'advanced', 'pytorch', 'xla']);
/** Calls that make a profiled region a training step. */
const TRAINING_CALL = new Set(['backward', 'manual_backward', 'step', 'fit']);
const ADVICE = 'Remove it for regular runs or guard it with a debug flag.';

export default defineRule({
  code: 'LOOP006',
  name: 'debug-apis-left-on',
  family: 'LOOP',
  severity: 'warning',
  confidence: 'high',
  fix: 'unsafe',
  skipTestFiles: true,
  messages: {
    setDetectAnomaly: `set_detect_anomaly(True) records a traceback for every autograd operation and checks every gradient for NaN on each backward pass. ${ADVICE}`,
    detectAnomaly: `detect_anomaly() records a traceback for every autograd operation and checks every gradient for NaN. ${ADVICE}`,
    autogradProfiler: `{{function}}() instruments every operator it sees, which slows training. ${ADVICE}`,
    gradcheck: `{{function}}() evaluates the function many times with finite differences in double precision; it belongs in a test, not in training code. ${ADVICE}`,
    trainerDetectAnomaly: `Trainer(detect_anomaly=True) runs every training step under torch.autograd.detect_anomaly(), which records a traceback for every operation. ${ADVICE}`,
    configDetectAnomaly: '{{setting}} is {{value}}: every step runs under autograd anomaly detection, which records a traceback for every operation. Move it to the debug config group or set it to false.',
    configProfiler: '{{setting}} is {{value}}: the profiler instruments every step, which slows a regular run. Move it to the debug config group or set it to null.',
    configFastDevRun: '{{setting}} is {{value}}: the run stops after a few batches and disables checkpoints and loggers: a debugging switch. Move it to the debug config group or set it to false.',
    configOverfitBatches: '{{setting}} is {{value}}: the run trains on a fixed handful of batches: a debugging switch. Move it to the debug config group or set it to 0.',
  },
  docs: `## What it does
Finds PyTorch debugging APIs switched on in training code: \`torch.autograd.set_detect_anomaly(True)\`,
\`torch.autograd.detect_anomaly()\`, \`torch.autograd.profiler.profile\` / \`emit_nvtx\`, \`torch.autograd.gradcheck\` /
\`gradgradcheck\` in a file that trains, and Lightning's \`Trainer(detect_anomaly=True)\`. In Lightning CLI and Hydra
configs it finds \`trainer.detect_anomaly: true\`, \`trainer.profiler\`, \`trainer.fast_dev_run\` and
\`trainer.overfit_batches > 0\` outside a debug config group.

## Why is this bad?
The PyTorch Performance Tuning Guide, "Disable debugging APIs": "Many PyTorch APIs are intended for debugging and
should be disabled for regular training runs". Anomaly detection records a stack trace for every autograd node and
checks every backward output for NaN; the autograd profiler records every operator. In configs, \`fast_dev_run\` runs a
single batch and skips checkpoints and loggers, and \`overfit_batches\` trains on a fixed handful of batches: a
production run with either left on silently trains on almost nothing. lightning-hydra-template confines
\`detect_anomaly: true\` to \`configs/debug/default.yaml\`.

Calls guarded by a debug flag (\`if args.debug:\`), inside functions named like debugging or checks, and files in
\`tests/\`, \`debug/\` or benchmark folders are not reported.
Nor is the autograd profiler where nothing trains: in a module with no training loop or step, or around a \`with\`
body that runs no backward pass or optimizer step (profiler recipes timing a forward pass, where profiling is the
point).

## Example
\`\`\`python
import torch

torch.autograd.set_detect_anomaly(True)

def train(model, loader, opt):
    for x, y in loader:
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
\`\`\`

## Use instead
\`\`\`python
import argparse
import torch

args = argparse.ArgumentParser().parse_args()
if args.debug:
    torch.autograd.set_detect_anomaly(True)

def train(model, loader, opt):
    for x, y in loader:
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
\`\`\`

## Fix safety
The fix switches the debug option off (\`set_detect_anomaly(False)\`, \`detect_anomaly=False\`, \`detect_anomaly: false\`,
\`profiler: null\`, \`fast_dev_run: false\`, \`overfit_batches: 0\`). It is unsafe: with anomaly detection off a NaN no
longer stops the run with a traceback, and turning off \`fast_dev_run\` / \`overfit_batches\` makes the run train on the
whole data set. Profiler context managers and gradient checks need a manual edit.

## References
- PyTorch Performance Tuning Guide, "Disable debugging APIs": https://pytorch.org/tutorials/recipes/recipes/tuning_guide.html
- \`torch.autograd.set_detect_anomaly\`: https://pytorch.org/docs/stable/autograd.html#anomaly-detection
- Lightning Trainer flags (\`detect_anomaly\`, \`profiler\`, \`fast_dev_run\`, \`overfit_batches\`): https://lightning.ai/docs/pytorch/stable/common/trainer.html
- lightning-hydra-template debug config: https://github.com/ashleve/lightning-hydra-template/blob/main/configs/debug/default.yaml
`,

  checkPython(module, reporter) {
    if (!module.importsAny('torch', 'lightning', 'pytorch_lightning')) return;
    // Cheap text filter first: resolving every call of the module is wasted on files without any of these names.
    if (!/anomaly|profile|emit_nvtx|gradcheck|gradgradcheck/.test(module.text)) return;
    const trains = hotLoops(module).length > 0 || stepFunctions(module).length > 0 || module.callsTo([LIGHTNING_TRAINER]).length > 0;
    for (const call of module.calls) {
      const q = module.callee(call);
      if (!q || !(q.startsWith('torch.autograd.') || q === LIGHTNING_TRAINER)) continue;
      if (debugGuarded(module, call)) continue;
      const args = callArguments(call);
      if (SET_DETECT_ANOMALY.has(q)) {
        const mode = argument(args, 'mode', 0);
        if (mode.kind !== 'present' || literalValue(mode.node) !== true) continue;
        report(reporter, call, 'setDetectAnomaly', {}, [
          { title: 'Turn anomaly detection off', safe: false, edits: [replaceNode(mode.node, 'False')] },
        ]);
      } else if (DETECT_ANOMALY.has(q)) {
        report(reporter, call, 'detectAnomaly');
      } else if (AUTOGRAD_PROFILER.has(q)) {
        const enabled = argument(args, 'enabled', 0);
        if (enabled.kind === 'unknown' || (enabled.kind === 'present' && literalValue(enabled.node) !== true)) continue;
        if (!profilesTraining(module, call, trains)) continue;
        report(reporter, call, 'autogradProfiler', { function: q.split('.').pop()! });
      } else if (GRADCHECK.has(q)) {
        if (!trains) continue;
        report(reporter, call, 'gradcheck', { function: q.split('.').pop()! });
      } else if (q === LIGHTNING_TRAINER) {
        const flag = argument(args, 'detect_anomaly');
        if (flag.kind !== 'present' || literalValue(flag.node) !== true) continue;
        reporter.report({
          range: nodeRange(parentOf(flag.node) ?? flag.node),
          messageId: 'trainerDetectAnomaly',
          fixes: [{ title: 'Set detect_anomaly=False', safe: false, edits: [replaceNode(flag.node, 'False')] }],
        });
      }
    }
  },

  checkConfig({ doc, kinds, isDebugOrTest }, reporter) {
    if (isDebugOrTest || !(kinds.has('lightning-cli') || kinds.has('hydra'))) return;
    const trainer = trainerMap(doc, kinds);
    if (!trainer) return;
    const severity = kinds.has('hydra') ? 'info' : undefined;
    const prefix = trainer === doc.root ? '' : 'trainer.';
    const t = trainer.entries!;
    const flag = (key: string, on: (n: ConfigNode) => boolean, messageId: 'configDetectAnomaly' | 'configProfiler' | 'configFastDevRun' | 'configOverfitBatches', off: string) => {
      const node = t.get(key);
      if (!node || !on(node)) return;
      reporter.report({
        range: node.keyRange ?? node.range,
        severity,
        messageId,
        data: { setting: `${prefix}${key}`, value: node.kind === 'scalar' ? String(node.value) : 'set' },
        fixes: node.kind === 'scalar' ? [{ title: `Set ${key} to ${off}`, safe: false, edits: [{ range: node.range, newText: off }] }] : [],
      });
    };
    flag('detect_anomaly', (n) => n.value === true, 'configDetectAnomaly', 'false');
    flag('profiler', isProfiler, 'configProfiler', 'null');
    flag('fast_dev_run', (n) => n.value === true || (typeof n.value === 'number' && n.value > 0), 'configFastDevRun', 'false');
    flag('overfit_batches', (n) => typeof n.value === 'number' && n.value > 0, 'configOverfitBatches', '0');
  },
});

/**
 * Whether a profiler call instruments training: in a \`with\` header, its body must run backward or an
 * optimizer step (directly or through a local function); elsewhere, the module must train at all. Profiler
 * recipes that time a forward pass train nothing, and profiling is their point.
 */
function profilesTraining(module: PythonModule, call: Node, moduleTrains: boolean): boolean {
  if (!moduleTrains) return false;
  let p = parentOf(call);
  while (p && (p.type === 'as_pattern' || p.type === 'with_item' || p.type === 'with_clause')) p = parentOf(p);
  const body = p?.type === 'with_statement' ? field(p, 'body') : undefined;
  if (!body) return true;
  return module.callsInside(body).some((c) => {
    if (TRAINING_CALL.has(calledMethod(c) ?? '')) return true;
    const target = callTarget(module, c);
    const tBody = target && field(target, 'body');
    return tBody !== undefined && !contains(tBody, call) && module.callsInside(tBody).some((i) => TRAINING_CALL.has(calledMethod(i) ?? ''));
  });
}

function report(reporter: Reporter, call: Node, messageId: string, data: Record<string, string> = {}, fixes: Fix[] = []): void {
  reporter.report({ range: nodeRange(field(call, 'function') ?? call), messageId, data, fixes });
}

/** Inside `if args.debug:` (either branch) or a function named like debugging or checks. */
function debugGuarded(module: PythonModule, call: Node): boolean {
  for (let p = parentOf(call); p; p = parentOf(p)) {
    if (p.type === 'if_statement' || p.type === 'conditional_expression') {
      const cond = p.type === 'if_statement' ? field(p, 'condition') : p;
      if (cond && DEBUG_GUARD.test(textOf(cond))) return true;
    }
    if (p.type === 'function_definition' && DEBUG_FUNCTION.test(module.functionName(p))) return true;
  }
  return false;
}

function isProfiler(n: ConfigNode): boolean {
  if (n.kind === 'map') return n.entries!.has('class_path') || n.entries!.has('_target_');
  return typeof n.value === 'string' && PROFILERS.has(n.value.toLowerCase());
}

const TRAINER_TARGET = /^(lightning|pytorch_lightning)(\.\w+)*\.Trainer$/;

/** The Lightning Trainer settings of a config: `trainer:` in a Lightning CLI or Hydra file, or a Hydra trainer group file. */
function trainerMap(doc: ConfigDocument, kinds: ReadonlySet<string>): ConfigNode | undefined {
  const trainer = doc.get('trainer');
  if (trainer?.kind === 'map') return trainer;
  if (kinds.has('hydra') && doc.root?.kind === 'map') {
    const target = doc.scalar('_target_');
    if (typeof target === 'string' && TRAINER_TARGET.test(target)) return doc.root;
  }
  return undefined;
}
