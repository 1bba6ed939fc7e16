import type { Edit, Fix } from '../../../shared/findings';
import type { ConfigNode } from '../../config/document';
import { dataLoaderMaps } from '../../config/keys';
import { argument, callArguments } from '../../engine/calls';
import { literalValue, nodeRange, type Node } from '../../engine/syntax';
import { replaceNode } from '../../python/edits';
import { trainingArgumentsCalls } from '../../python/hf-trainer';
import { defineRule } from '../rule';

/** Accumulation at or above this many micro-batches with a micro-batch of 1 is reported. */
const MIN_ACCUMULATION = 16;
/** The micro-batch the fix proposes; accumulation is divided by it so the effective batch stays the same. */
const PROPOSED_MICRO_BATCH = 4;

export default defineRule({
  code: 'LOAD013',
  name: 'micro-batch-one',
  family: 'LOAD',
  severity: 'info',
  confidence: 'medium',
  fix: 'unsafe',
  skipTestFiles: true,
  messages: {
    microBatchOne: '{{micro}} is 1 with {{accumulation}} = {{steps}}: every forward and backward pass runs on a single sample and leaves most of the GPU idle. Raise the micro-batch and lower the accumulation so the product stays the same{{example}}, if memory allows.',
  },
  docs: `## What it does
Finds a per-device micro-batch of 1 combined with gradient accumulation of ${MIN_ACCUMULATION} or more steps: Hugging Face
\`TrainingArguments\` in code or in JSON/YAML (\`per_device_train_batch_size\`, \`gradient_accumulation_steps\`), DeepSpeed
configs (\`train_micro_batch_size_per_gpu\`, \`gradient_accumulation_steps\`) and Lightning CLI / Hydra configs
(\`data.batch_size\` with \`trainer.accumulate_grad_batches\`). \`"auto"\` values are filled in by the Hugging Face
integration and are not reported.

## Why is this bad?
Each micro-batch of one sample launches every kernel of the forward and backward pass for a single example, which
leaves most of the GPU idle. Hugging Face, "Methods and tools for efficient training on a single GPU": "If you would
like to train with batches of size 64, do not set the \`per_device_train_batch_size\` to 1 and
\`gradient_accumulation_steps\` to 64. Instead, keep the \`per_device_train_batch_size=4\` and set the
\`gradient_accumulation_steps=16\`." For large-model fine-tuning a micro-batch of 1 is sometimes forced by memory
(docs/analysis.md, trap 2), so this is \`info\`: try a larger micro-batch with gradient checkpointing first.

## Example
\`\`\`json
{
  "output_dir": "out/run",
  "per_device_train_batch_size": 1,
  "gradient_accumulation_steps": 64,
  "num_train_epochs": 3
}
\`\`\`

## Use instead
\`\`\`json
{
  "output_dir": "out/run",
  "per_device_train_batch_size": 4,
  "gradient_accumulation_steps": 16,
  "num_train_epochs": 3
}
\`\`\`

## Fix safety
The fix sets the micro-batch to ${PROPOSED_MICRO_BATCH} and divides the accumulation steps by ${PROPOSED_MICRO_BATCH}, so the effective batch size
(micro-batch × accumulation × devices) and the learning-rate schedule stay the same. It is offered only when the
accumulation divides evenly, and it is unsafe: ${PROPOSED_MICRO_BATCH} samples per step need more GPU memory and may not fit, and
models with batch-dependent layers (BatchNorm) see different statistics.

## References
- Hugging Face, efficient training on one GPU, "Gradient Accumulation": https://huggingface.co/docs/transformers/perf_train_gpu_one
- DeepSpeed configuration (batch size parameters): https://www.deepspeed.ai/docs/config-json/
- Lightning, \`accumulate_grad_batches\`: https://lightning.ai/docs/pytorch/stable/common/trainer.html#accumulate-grad-batches
`,

  checkPython(module, reporter) {
    for (const call of trainingArgumentsCalls(module)) {
      const args = callArguments(call);
      const micro = argument(args, 'per_device_train_batch_size');
      const acc = argument(args, 'gradient_accumulation_steps');
      if (micro.kind !== 'present' || acc.kind !== 'present') continue;
      const m = literalValue(micro.node);
      const a = literalValue(acc.node);
      if (m !== 1 || typeof a !== 'number' || a < MIN_ACCUMULATION) continue;
      reporter.report({
        range: nodeRange(micro.node),
        messageId: 'microBatchOne',
        data: messageData('per_device_train_batch_size', 'gradient_accumulation_steps', a),
        fixes: pythonFix(micro.node, acc.node, a),
      });
    }
  },

  checkConfig({ doc, kinds, isDebugOrTest }, reporter) {
    if (isDebugOrTest) return;
    const pairs: Array<{ micro: string; microNode: ConfigNode; acc: string; accNode: ConfigNode }> = [];
    const add = (micro: string, acc: string) => {
      const microNode = doc.get(micro);
      const accNode = doc.get(acc);
      if (microNode && accNode) pairs.push({ micro, microNode, acc, accNode });
    };
    if (kinds.has('hf-training-args')) {
      add('per_device_train_batch_size', 'gradient_accumulation_steps');
      add('per_gpu_train_batch_size', 'gradient_accumulation_steps');
    }
    if (kinds.has('deepspeed')) add('train_micro_batch_size_per_gpu', 'gradient_accumulation_steps');
    if (kinds.has('lightning-cli') || kinds.has('hydra')) {
      for (const { prefix } of dataLoaderMaps(doc, kinds)) add(prefix ? `${prefix}.batch_size` : 'batch_size', 'trainer.accumulate_grad_batches');
    }
    const seen = new Set<ConfigNode>();
    for (const p of pairs) {
      if (seen.has(p.microNode)) continue;
      seen.add(p.microNode);
      if (!isScalar(p.microNode, 1)) continue;
      const a = p.accNode.kind === 'scalar' ? p.accNode.value : undefined;
      if (typeof a !== 'number' || a < MIN_ACCUMULATION) continue;
      reporter.report({
        range: p.microNode.range,
        messageId: 'microBatchOne',
        data: messageData(p.micro, p.acc, a),
        related: [{ range: p.accNode.range, message: `${p.acc}: ${a}` }],
        fixes: configFix(p.microNode, p.accNode, a),
      });
    }
  },
});

function isScalar(node: ConfigNode, value: number): boolean {
  return node.kind === 'scalar' && node.value === value;
}

function messageData(micro: string, accumulation: string, steps: number): Record<string, string | number> {
  const example = steps % PROPOSED_MICRO_BATCH === 0 ? ` (e.g. ${PROPOSED_MICRO_BATCH} × ${steps / PROPOSED_MICRO_BATCH} instead of 1 × ${steps})` : '';
  return { micro, accumulation, steps, example };
}

function pythonFix(micro: Node, acc: Node, steps: number): Fix[] {
  if (steps % PROPOSED_MICRO_BATCH !== 0) return [];
  const edits: Edit[] = [replaceNode(micro, String(PROPOSED_MICRO_BATCH)), replaceNode(acc, String(steps / PROPOSED_MICRO_BATCH))];
  return [{ title: `Use micro-batches of ${PROPOSED_MICRO_BATCH} with ${steps / PROPOSED_MICRO_BATCH} accumulation steps (same effective batch)`, safe: false, edits }];
}

function configFix(micro: ConfigNode, acc: ConfigNode, steps: number): Fix[] {
  if (steps % PROPOSED_MICRO_BATCH !== 0) return [];
  const edits: Edit[] = [
    { range: micro.range, newText: String(PROPOSED_MICRO_BATCH) },
    { range: acc.range, newText: String(steps / PROPOSED_MICRO_BATCH) },
  ];
  return [{ title: `Use micro-batches of ${PROPOSED_MICRO_BATCH} with ${steps / PROPOSED_MICRO_BATCH} accumulation steps (same effective batch)`, safe: false, edits }];
}
