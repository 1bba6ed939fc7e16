import type { Edit } from '../../../shared/findings';
import { argument, callArguments } from '../../engine/calls';
import type { ConfigDocument, ConfigNode } from '../../config/document';
import { field, literalValue, nodeRange, textOf, type Node } from '../../engine/syntax';
import { deviceKindOfString, lightningAcceleratorKind } from '../../python/device';
import { appendArguments, replaceNode } from '../../python/edits';
import { defineRule, type Reporter } from '../rule';
import { knownLargeModel } from './precision';

const LIGHTNING_CALLS = ['lightning.pytorch.Trainer', 'lightning.fabric.Fabric', 'lightning.Fabric', 'lightning_fabric.Fabric'];

/** `accelerator="auto"` written in the call. */
function acceleratorIsAuto(call: Node): boolean {
  const acc = argument(callArguments(call), 'accelerator');
  return acc.kind === 'present' && literalValue(acc.node) === 'auto';
}

/** Precision values that mean full FP32 (Lightning 2.x spelling and the 1.x ints/strings). */
function isFullPrecision(v: unknown): boolean {
  return v === 32 || v === '32' || v === '32-true';
}

export default defineRule({
  code: 'HW008',
  name: 'lightning-full-precision',
  family: 'HW',
  severity: 'info',
  confidence: 'medium',
  fix: 'unsafe',
  requiresAccelerator: true,
  skipTestFiles: true,
  messages: {
    lightningFp32: 'Lightning trains {{where}} in full FP32 ({{precision}}); mixed precision is up to 3x faster on modern GPUs. Set precision="bf16-mixed" on Ampere or newer GPUs ("16-mixed" on older ones).',
    lightningConfigFp32: 'trainer {{accelerator}} and precision is {{precision}}: full FP32 on the GPU; mixed precision is up to 3x faster on modern GPUs. Set precision: bf16-mixed on Ampere or newer GPUs (16-mixed on older ones){{unless}}.',
  },
  docs: `## What it does
Finds a Lightning \`Trainer\` (or Fabric) that runs on a GPU in full FP32: in code, \`Trainer(accelerator="gpu"|"cuda")\`
(or the legacy \`gpus=N\`) without \`precision\` or with \`precision=32\`/\`"32-true"\`, and \`Trainer(accelerator="auto")\`,
which trains on the GPU when there is one, for a model known to be large enough to gain: a pretrained or torchvision
network (a ResNet-18, a DistilBERT fine-tune), an attention layer, or a layer whose literal sizes are beyond the tiny
limits of the HW001 docs (a 512-channel DCGAN generator); an MNIST MLP, or a model whose sizes cannot be followed, is not
reported; in Lightning CLI and Hydra
configs, \`trainer.accelerator: gpu|cuda|auto\` with \`trainer.precision\` absent, \`32\` or \`"32-true"\`.

## Why is this bad?
Lightning defaults to \`precision="32-true"\`. Its speed guide: mixed precision uses 16-bit where it is safe,
"achieving upto +3X speedups on modern GPUs".

Which mode fits depends on the GPU: \`"bf16-mixed"\` needs Ampere (A100, RTX 30xx) or newer; on Volta/Turing use
\`"16-mixed"\`. Lightning and Hydra configs are often composed from several files and overridden on the command line,
so precision may be set elsewhere (docs/analysis.md, traps 9 and 14): this is advice (\`info\`). Trainers whose
precision comes from a variable, a \`plugins=\` precision plugin or a DeepSpeed strategy config are not reported, nor
are debug and test configs.

## Example
\`\`\`python
import lightning as L

trainer = L.Trainer(accelerator="gpu", devices=1, max_epochs=10)
trainer.fit(model, datamodule=dm)
\`\`\`

## Use instead
\`\`\`python
import lightning as L

trainer = L.Trainer(accelerator="gpu", devices=1, max_epochs=10, precision="bf16-mixed")  # "16-mixed" before Ampere
trainer.fit(model, datamodule=dm)
\`\`\`

## Fix safety
The fix sets \`precision="bf16-mixed"\` (\`precision: bf16-mixed\` in configs), the Lightning 2.x spelling; Lightning
1.x spells it \`precision="bf16"\` (and \`16\` for fp16). It changes numerical results and needs an
Ampere or newer GPU (use \`16-mixed\` on older GPUs), so it is unsafe.

## References
- Lightning "Speed up model training", mixed precision: https://lightning.ai/docs/pytorch/stable/advanced/speed.html
- Lightning N-bit precision: https://lightning.ai/docs/pytorch/stable/common/precision_basic.html
`,

  checkPython(module, reporter) {
    if (!module.importsAny('lightning', 'lightning_fabric')) return;
    for (const call of module.callsTo(LIGHTNING_CALLS)) {
      const auto = acceleratorIsAuto(call);
      // `accelerator="auto"` trains on the GPU when there is one: reported for a model known to be large enough to gain.
      if (auto ? !knownLargeModel(module) : lightningAcceleratorKind(module, call) !== 'cuda') continue;
      const args = callArguments(call);
      const precision = argument(args, 'precision');
      if (precision.kind === 'unknown') continue;
      if (precision.kind === 'present' && !isFullPrecision(literalValue(precision.node))) continue;
      if (argument(args, 'plugins').kind !== 'absent') continue;
      const strategy = argument(args, 'strategy');
      if (strategy.kind === 'present' && /deepspeed|fsdp/i.test(textOf(strategy.node))) continue;
      const edit: Edit = precision.kind === 'present' ? replaceNode(precision.node, '"bf16-mixed"') : appendArguments(module, call, ['precision="bf16-mixed"']);
      reporter.report({
        range: precision.kind === 'present' ? nodeRange(precision.node) : nodeRange(field(call, 'function') ?? call),
        messageId: 'lightningFp32',
        data: {
          where: auto ? 'on the GPU, when accelerator="auto" finds one,' : 'on the GPU',
          precision: precision.kind === 'present' ? `precision=${textOf(precision.node)}` : 'no precision, the default is "32-true"',
        },
        fixes: [{ title: 'Use precision="bf16-mixed" (needs an Ampere or newer GPU)', safe: false, edits: [edit] }],
      });
    }
  },

  checkConfig({ doc, kinds, isDebugOrTest }, reporter) {
    if (isDebugOrTest) return;
    if (kinds.has('hydra')) {
      const p = doc.path.replace(/\\/g, '/');
      // A Hydra `trainer/` group file holds the Trainer's arguments at its root.
      const trainer = /(^|\/)trainer\/[^/]+$/.test(p) ? doc.root : doc.get('trainer');
      if (trainer?.kind === 'map') checkTrainerMap(doc, trainer, 'hydra', reporter);
    } else if (kinds.has('lightning-cli')) {
      const trainer = doc.get('trainer');
      if (trainer?.kind === 'map') checkTrainerMap(doc, trainer, 'lightning-cli', reporter);
    }
  },
});

function checkTrainerMap(doc: ConfigDocument, trainer: ConfigNode, kind: 'hydra' | 'lightning-cli', reporter: Reporter): void {
  const t = trainer.entries!;
  const accelerator = t.get('accelerator');
  const gpus = t.get('gpus');
  const acc = accelerator?.kind === 'scalar' && typeof accelerator.value === 'string' ? accelerator.value : undefined;
  const onGpu = acc !== undefined
    ? !acc.includes('${') && (acc === 'auto' || deviceKindOfString(acc) === 'cuda')
    : gpus?.kind === 'scalar' && typeof gpus.value === 'number' && gpus.value !== 0;
  if (!onGpu) return;
  const precision = t.get('precision');
  if (precision && !(precision.kind === 'scalar' && isFullPrecision(precision.value))) return;
  if (t.has('plugins')) return;
  const strategy = t.get('strategy');
  if (strategy && /deepspeed|fsdp/i.test(doc.text.slice(doc.lines.offset(strategy.range.start), doc.lines.offset(strategy.range.end)))) return;
  const fix = precision ? { range: precision.range, newText: 'bf16-mixed' } : insertKey(doc, trainer, 'precision: bf16-mixed');
  const anchor = precision ?? accelerator ?? gpus!;
  reporter.report({
    range: precision ? precision.range : anchor.keyRange ?? anchor.range,
    messageId: 'lightningConfigFp32',
    data: {
      accelerator: acc ? `accelerator is ${acc}` : 'uses GPUs',
      precision: precision ? String(precision.value) : 'not set (default 32-true)',
      unless: kind === 'hydra' ? ', unless a composed config sets it' : '',
    },
    fixes: fix ? [{ title: 'Set precision: bf16-mixed (needs an Ampere or newer GPU)', safe: false, edits: [fix] }] : [],
  });
}

/** Adds `key: value` as the last entry of a block-style YAML map, at the indentation of its entries. */
function insertKey(doc: ConfigDocument, map: ConfigNode, line: string): Edit | undefined {
  if (doc.format !== 'yaml') return undefined;
  const entries = [...map.entries!.values()];
  const first = entries[0];
  if (!first?.keyRange) return undefined;
  const firstChar = doc.text.charAt(doc.lines.offset(map.range.start));
  if (firstChar === '{') return undefined;
  const last = entries[entries.length - 1];
  let endLine = last.entryRange ? last.entryRange.end.line : last.range.end.line;
  const end = last.entryRange?.end ?? last.range.end;
  if (end.character === 0 && endLine > first.keyRange.start.line) endLine--;
  while (endLine > first.keyRange.start.line && doc.lines.lineText(endLine).trim() === '') endLine--;
  const at = { line: endLine, character: doc.lines.lineText(endLine).length };
  return { range: { start: at, end: at }, newText: doc.lines.eol() + ' '.repeat(first.keyRange.start.character) + line };
}
