import { argument, callArguments } from '../../engine/calls';
import { field, nodeRange } from '../../engine/syntax';
import { hfTrainers } from '../../python/hf-trainer';
import { appendArguments } from '../../python/edits';
import { argConstant } from '../../python/resolve';
import { defineRule } from '../rule';
import { mentionsHalfPrecision, precisionSetOutside, tinyModel } from './precision';

/** TrainingArguments keys that choose a precision or hand it to another component. */
const PRECISION_KEYS = ['fp16', 'bf16', 'deepspeed', 'fsdp_config', 'half_precision_backend', 'tpu_num_cores'];
/** Keys that keep the Trainer off the GPU (use_cpu since transformers 4.34, no_cuda before). */
const CPU_KEYS = ['use_cpu', 'no_cuda', 'use_mps_device'];

export default defineRule({
  code: 'HW005',
  name: 'hf-trainer-fp32',
  family: 'HW',
  severity: 'info',
  confidence: 'medium',
  fix: 'unsafe',
  requiresAccelerator: true,
  skipTestFiles: true,
  messages: {
    trainerFp32: 'TrainingArguments set neither bf16 nor fp16, so the Trainer trains in FP32 on the GPU. Add bf16=True on Ampere or newer GPUs (fp16=True on older ones), and tf32=True.',
  },
  docs: `## What it does
Finds Hugging Face \`TrainingArguments(...)\` given to a \`Trainer\` (also \`Seq2SeqTrainer\` and TRL trainers) with
neither \`fp16=True\` nor \`bf16=True\`, no DeepSpeed/FSDP config, and a model that is not already loaded in 16 bits.

Not reported for tiny models, where a step is a handful of small kernel launches and mixed precision has nothing to
speed up: every checkpoint the module loads is a test-sized one (\`hf-internal-testing/...\`, \`tiny-random-...\`,
\`prajjwal1/bert-tiny\`), or the model is built from a config whose width (\`hidden_size\`, \`n_embd\`, \`d_model\`) is at
most 256. A \`swin-tiny\` or \`TinyLlama\` checkpoint is a full-size model and is reported. (The notion of a tiny model is
the one HW001 documents.)

## Why is this bad?
The Trainer trains in FP32 unless told otherwise. Hugging Face lists mixed precision training among the main ways to
speed up training on one GPU; \`bf16\` has "a much bigger dynamic range" than fp16 (max ≈3.39e38 vs 65504), so it
rarely needs loss-scaling care.

Which flag works depends on the GPU: \`bf16=True\` needs Ampere (A100, RTX 30xx) or newer and raises an error on older
GPUs, where \`fp16=True\` is the choice. The Trainer picks the device at run time, and an \`accelerate launch
--mixed_precision\` or DeepSpeed config can set the precision from outside, so this is advice (\`info\`). Arguments that
come from the command line or a JSON file (\`HfArgumentParser\`) are not analysed here; HW007 checks the JSON/YAML.

## Example
\`\`\`python
from transformers import Trainer, TrainingArguments

args = TrainingArguments(output_dir="out", per_device_train_batch_size=32, num_train_epochs=3)
trainer = Trainer(model=model, args=args, train_dataset=train_ds)
trainer.train()
\`\`\`

## Use instead
\`\`\`python
from transformers import Trainer, TrainingArguments

args = TrainingArguments(output_dir="out", per_device_train_batch_size=32, num_train_epochs=3, bf16=True, tf32=True)
trainer = Trainer(model=model, args=args, train_dataset=train_ds)
trainer.train()
\`\`\`

## Fix safety
The fix adds \`bf16=True\`. It changes numerical results and raises on GPUs older than Ampere (use \`fp16=True\`
there), so it is unsafe.

## References
- Hugging Face, "Methods and tools for efficient training on a single GPU", mixed precision: https://huggingface.co/docs/transformers/perf_train_gpu_one
- TrainingArguments (fp16, bf16, tf32): https://huggingface.co/docs/transformers/main_classes/trainer#transformers.TrainingArguments
`,

  checkPython(module, reporter) {
    // Only a TrainingArguments call written in this module can be judged (TRL configs subclass it).
    if (!/TrainingArguments\s*\(|\wConfig\s*\(/.test(module.text)) return;
    const trainers = hfTrainers(module);
    if (trainers.length === 0 || precisionSetOutside(module) || mentionsHalfPrecision(module) || /\b(load_in_[48]bit|BitsAndBytesConfig)\b/.test(module.text)) return;
    if (tinyModel(module)) return;
    const seen = new Set<number>();
    for (const trainer of trainers) {
      const ta = trainer.trainingArgs;
      if (!ta || seen.has(ta.id)) continue;
      seen.add(ta.id);
      const args = callArguments(ta);
      if (args.hasKwargs || args.positional.length > 1) continue;
      if (PRECISION_KEYS.some((k) => argument(args, k).kind !== 'absent')) continue;
      if (CPU_KEYS.some((k) => argConstant(module, argument(args, k)) !== 'absent' && argConstant(module, argument(args, k)) !== false)) continue;
      reporter.report({
        range: nodeRange(field(ta, 'function') ?? ta),
        messageId: 'trainerFp32',
        fixes: [{ title: 'Train in bf16 (needs an Ampere or newer GPU)', safe: false, edits: [appendArguments(module, ta, ['bf16=True'])] }],
      });
    }
  },
});
