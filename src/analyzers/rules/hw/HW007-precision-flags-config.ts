import type { Range } from '../../../shared/findings';
import type { ConfigDocument, ConfigNode } from '../../config/document';
import { defineRule, type Reporter } from '../rule';

/** HF keys that make a file a training run (not an evaluation-only or inference config). */
const HF_TRAINING_KEYS = ['per_device_train_batch_size', 'num_train_epochs', 'max_steps', 'do_train'];

type Flag = true | false | 'auto' | 'absent' | 'unknown';

export default defineRule({
  code: 'HW007',
  name: 'precision-flags-config',
  family: 'HW',
  severity: 'error',
  confidence: 'high',
  fix: 'unsafe',
  messages: {
    hfBothPrecisions: 'fp16 and bf16 are both true: TrainingArguments raises "ValueError: At most one of fp16 and bf16 can be True, but not both". Keep bf16 on Ampere or newer GPUs, otherwise fp16.',
    hfFp32: 'Neither bf16 nor fp16 is enabled, so the Trainer trains in FP32 on the GPU. Set bf16: true on Ampere or newer GPUs (fp16: true on older ones).',
    deepspeedBothPrecisions: 'fp16.enabled and bf16.enabled are both true: DeepSpeed does not combine the two modes and fails at start-up. Keep bf16 on Ampere or newer GPUs, otherwise fp16.',
    deepspeedFp32: 'This DeepSpeed config enables neither fp16 nor bf16, so it trains in FP32. Set "bf16": {"enabled": true} on Ampere or newer GPUs ("fp16" on older ones), or "auto" to follow the TrainingArguments.',
    accelerateFp32: "This Accelerate config launches {{launch}} training on GPUs with mixed_precision 'no', so it trains in FP32. Set mixed_precision: bf16 on Ampere or newer GPUs (fp16 on older ones).",
  },
  docs: `## What it does
Checks the precision flags of Hugging Face TrainingArguments files (JSON/YAML) and DeepSpeed JSON configs: both fp16
and bf16 switched on is an error; neither switched on (FP32 training) is reported as \`info\`. An \`accelerate config\`
YAML that launches on GPUs (\`distributed_type\` DEEPSPEED, FSDP, MULTI_GPU or MEGATRON_LM, \`use_cpu\` not true) with
\`mixed_precision: 'no'\` is FP32 training too (\`info\`); a DeepSpeed launch that names its own JSON
(\`deepspeed_config_file\`) takes the precision from that file, and a single-process launch (\`distributed_type: 'NO'\`)
may be a CPU run, so neither is reported.

## Why is this bad?
Both on fails at start-up. TrainingArguments raises \`ValueError: At most one of fp16 and bf16 can be True, but not
both\`; DeepSpeed's docs say bf16 "cannot be combined with the fp16 mode" and its config check fails the same way.

Neither on trains in FP32 and gives up mixed precision's "up to 3x" speedup (PyTorch Tuning Guide; see HW001 and
HW005). That part is advice (\`info\`): bf16 needs Ampere or newer GPUs, and fp16 needs care with loss scaling.
\`"auto"\` values in a DeepSpeed config are filled in from the TrainingArguments by the Hugging Face integration and
are not treated as missing; an HF file that hands precision to a DeepSpeed config (\`deepspeed:\`) or trains on the
CPU (\`use_cpu: true\`) is left alone, and so are debug and test configs.

## Example
\`\`\`json
{
  "train_micro_batch_size_per_gpu": 8,
  "fp16": {"enabled": true},
  "bf16": {"enabled": true},
  "zero_optimization": {"stage": 2}
}
\`\`\`

## Use instead
\`\`\`json
{
  "train_micro_batch_size_per_gpu": 8,
  "fp16": {"enabled": false},
  "bf16": {"enabled": true},
  "zero_optimization": {"stage": 2}
}
\`\`\`

## Fix safety
For a conflict the fix turns fp16 off and keeps bf16, which needs an Ampere or newer GPU (on older GPUs keep fp16 and
turn bf16 off instead), so it is unsafe. Configs without mixed precision get no automatic fix.

## References
- transformers \`training_args.py\` (fp16/bf16 validation): https://github.com/huggingface/transformers/blob/main/src/transformers/training_args.py
- DeepSpeed configuration JSON, FP16 and BFLOAT16 training options: https://www.deepspeed.ai/docs/config-json/
- Hugging Face DeepSpeed integration ("auto" values): https://huggingface.co/docs/transformers/deepspeed
- PyTorch Performance Tuning Guide, mixed precision: https://pytorch.org/tutorials/recipes/recipes/tuning_guide.html
`,

  checkConfig({ doc, kinds, isDebugOrTest }, reporter) {
    if (isDebugOrTest || doc.root?.kind !== 'map') return;
    if (kinds.has('accelerate')) checkAccelerate(doc, reporter);
    else if (kinds.has('deepspeed')) checkDeepSpeed(doc, reporter);
    else if (kinds.has('hf-training-args')) checkHfArgs(doc, reporter);
  },
});

function flag(node: ConfigNode | undefined): Flag {
  if (!node) return 'absent';
  if (node.kind !== 'scalar') return 'unknown';
  const v = node.value;
  if (v === true || v === 'true' || v === 'True') return true;
  if (v === false || v === 'false' || v === 'False' || v === null) return false;
  if (typeof v === 'string' && v.toLowerCase() === 'auto') return 'auto';
  return 'unknown';
}

function falseLiteral(doc: ConfigDocument, node: ConfigNode): string {
  // Keep the file's own spelling of booleans (`True` in a YAML written by Python, `false` in JSON).
  return /^True$/.test(doc.text.slice(doc.lines.offset(node.range.start), doc.lines.offset(node.range.end))) ? 'False' : 'false';
}

function firstKeyRange(doc: ConfigDocument): Range {
  const first = [...doc.root!.entries!.values()][0];
  return first?.keyRange ?? doc.root!.range;
}

function checkHfArgs(doc: ConfigDocument, reporter: Reporter): void {
  const fp16Node = doc.get('fp16');
  const bf16Node = doc.get('bf16');
  const fp16 = flag(fp16Node);
  const bf16 = flag(bf16Node);
  if (fp16 === true && bf16 === true) {
    reporter.report({
      range: bf16Node!.keyRange ?? bf16Node!.range,
      messageId: 'hfBothPrecisions',
      fixes: [{ title: 'Turn fp16 off (keep bf16; needs an Ampere or newer GPU)', safe: false, edits: [{ range: fp16Node!.range, newText: falseLiteral(doc, fp16Node!) }] }],
    });
    return;
  }
  if (!(fp16 === false || fp16 === 'absent') || !(bf16 === false || bf16 === 'absent')) return;
  if (!HF_TRAINING_KEYS.some((k) => doc.get(k))) return;
  for (const k of ['deepspeed', 'fsdp', 'fsdp_config', 'half_precision_backend']) if (doc.get(k)) return;
  for (const k of ['use_cpu', 'no_cuda', 'use_mps_device']) if (flag(doc.get(k)) !== false && flag(doc.get(k)) !== 'absent') return;
  const anchor = fp16Node ?? bf16Node ?? doc.get('per_device_train_batch_size');
  reporter.report({
    range: anchor ? anchor.keyRange ?? anchor.range : firstKeyRange(doc),
    severity: 'info',
    messageId: 'hfFp32',
  });
}

function checkDeepSpeed(doc: ConfigDocument, reporter: Reporter): void {
  const fp16Section = doc.get('fp16');
  const bf16Section = doc.get('bf16') ?? doc.get('bfloat16');
  const fp16Enabled = doc.get('enabled', fp16Section);
  const bf16Enabled = doc.get('enabled', bf16Section);
  // A section without `enabled` is off (DeepSpeed's default); a non-map section is something we do not read.
  const fp16: Flag = !fp16Section ? 'absent' : fp16Section.kind !== 'map' ? 'unknown' : fp16Enabled ? flag(fp16Enabled) : false;
  const bf16: Flag = !bf16Section ? 'absent' : bf16Section.kind !== 'map' ? 'unknown' : bf16Enabled ? flag(bf16Enabled) : false;
  if (fp16 === true && bf16 === true) {
    reporter.report({
      range: bf16Enabled!.keyRange ?? bf16Enabled!.range,
      messageId: 'deepspeedBothPrecisions',
      fixes: [{ title: 'Turn fp16 off (keep bf16; needs an Ampere or newer GPU)', safe: false, edits: [{ range: fp16Enabled!.range, newText: 'false' }] }],
    });
    return;
  }
  if (!(fp16 === false || fp16 === 'absent') || !(bf16 === false || bf16 === 'absent')) return;
  if (flag(doc.get('amp.enabled')) === true) return;
  const anchor = fp16Section ?? bf16Section;
  reporter.report({
    range: anchor ? anchor.keyRange ?? anchor.range : firstKeyRange(doc),
    severity: 'info',
    messageId: 'deepspeedFp32',
  });
}

/** `accelerate config` launch types that only run on GPUs (sharded or multi-GPU training). */
const GPU_LAUNCHES = new Set(['DEEPSPEED', 'FSDP', 'MULTI_GPU', 'MEGATRON_LM']);

/**
 * An `accelerate config` file that launches on GPUs (DeepSpeed, FSDP, multi-GPU) with `mixed_precision: 'no'`:
 * FP32 training. A DeepSpeed launch that names its own JSON (`deepspeed_config_file`) takes the precision from there.
 */
function checkAccelerate(doc: ConfigDocument, reporter: Reporter): void {
  const precision = doc.get('mixed_precision');
  if (precision?.kind !== 'scalar' || String(precision.value).toLowerCase() !== 'no') return;
  const launch = doc.get('distributed_type');
  if (launch?.kind !== 'scalar' || !GPU_LAUNCHES.has(String(launch.value).toUpperCase())) return;
  if (flag(doc.get('use_cpu')) === true) return;
  const deepspeed = doc.get('deepspeed_config');
  if (deepspeed && doc.get('deepspeed_config_file', deepspeed)) return;
  reporter.report({
    range: precision.keyRange ?? precision.range,
    severity: 'info',
    messageId: 'accelerateFp32',
    data: { launch: String(launch.value) },
  });
}
