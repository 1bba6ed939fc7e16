import { field, nodeRange } from '../../engine/syntax';
import { cudaPlacements } from '../../python/accelerator';
import { importedTrainingCalls } from '../../python/callgraph';
import { defineRule } from '../rule';
import { insertAfterImports } from '../../python/edits';
import { hotLoops } from '../../python/training';
import { cudnnDominated, mentionsAutocast, mentionsHalfPrecision, precisionSetOutside, tinyModel, torchBound } from './precision';

/** The module already decides TF32 one way or the other. */
const TF32_WORDS = /\b(allow_tf32|set_float32_matmul_precision|fp32_precision|tf32)\b/;

export default defineRule({
  code: 'HW003',
  name: 'tf32-not-enabled',
  family: 'HW',
  severity: 'info',
  confidence: 'medium',
  fix: 'unsafe',
  requiresAccelerator: true,
  skipTestFiles: true,
  messages: {
    tf32Off: 'Trains on CUDA in FP32 without enabling TF32 (off for matmuls by default since PyTorch 1.12), so matmuls skip the Tensor Cores (up to 3x slower on Ampere and newer GPUs; no effect on older ones). Call torch.set_float32_matmul_precision("high") once at start-up.',
  },
  docs: `## What it does
Finds PyTorch training on CUDA in FP32 (a hand-written training loop in a module that moves its model to CUDA, to a device ordinal such as
\`local_rank\`, or to the current accelerator, \`torch.accelerator.current_accelerator()\`) that
never enables TF32 Tensor Cores: none of
\`torch.set_float32_matmul_precision("high"|"medium")\`, \`torch.backends.cuda.matmul.allow_tf32 = True\` or
\`TrainingArguments(tf32=True)\` appears in the module. The training loop may sit in a module beside it: a \`main.py\` that
moves the model to CUDA and calls \`train_one_epoch(...)\` imported from the project's \`engine.py\` trains through that
call; it is reported on \`main.py\`'s move to CUDA unless \`engine.py\` settles the precision itself (TF32 flags, autocast,
half precision).

Not reported for tiny networks (as defined in HW001), nor for networks whose work runs in cuDNN: the module builds
convolution layers (or a torchvision CNN such as ResNet or VGG), or recurrent layers (\`nn.LSTM\`, \`nn.GRU\`,
\`nn.RNN\`) whose fully connected layers are small, and no attention or Transformer layers; a script that builds no
layers itself is judged by the project modules whose network classes it constructs (\`net = SimpleDLA()\` after
\`from models import *\`, followed through a package's star re-exports). cuDNN convolutions and
cuDNN RNNs already use TF32 by default (\`torch.backends.cudnn.allow_tf32\` defaults to True); the switch this rule asks
for only changes cuBLAS matmuls, which in such a network are a small classifier head. An LSTM language model with a
large softmax head is still reported: that head is a cuBLAS matmul.

## Why is this bad?
Since PyTorch 1.12, TF32 for matmuls is off by default and "must be explicitly set" (Tuning Guide); FP32 matmuls then
skip the Tensor Cores. Hugging Face: with TF32 "you can get up to 3x throughput improvement". Lightning prints a
warning on such GPUs: "To properly utilize them, you should set \`torch.set_float32_matmul_precision('medium' | 'high')\`".

TF32 only exists on Ampere (A100, RTX 30xx) and newer GPUs; elsewhere the setting does nothing, so this is advice
(\`info\`). Code that already trains in 16 bits (autocast, \`.half()\`), code whose precision is set by Accelerate or
DeepSpeed, CPU code and toy networks are not reported. Lightning warns about TF32 itself at run time, and HW008 covers
its precision setting.

## Example
\`\`\`python
import torch

def train(model, loader, opt, loss_fn):
    model.cuda()
    for x, y in loader:
        opt.zero_grad()
        loss = loss_fn(model(x.cuda()), y.cuda())
        loss.backward()
        opt.step()
\`\`\`

## Use instead
\`\`\`python
import torch
torch.set_float32_matmul_precision("high")  # TF32 Tensor Cores on Ampere+

def train(model, loader, opt, loss_fn):
    model.cuda()
    for x, y in loader:
        opt.zero_grad()
        loss = loss_fn(model(x.cuda()), y.cuda())
        loss.backward()
        opt.step()
\`\`\`

## Fix safety
The fix inserts \`torch.set_float32_matmul_precision("high")\` after the imports. TF32 keeps FP32's range but rounds
matmul inputs to a 10-bit mantissa, so results change slightly: the fix is unsafe.

## References
- \`torch.backends.cudnn.allow_tf32\` (default True) and \`torch.backends.cuda.matmul.allow_tf32\` (default False since 1.12): https://pytorch.org/docs/stable/notes/cuda.html#tensorfloat-32-tf32-on-ampere-and-later-devices
- PyTorch Performance Tuning Guide, "Enable Tensor cores": https://pytorch.org/tutorials/recipes/recipes/tuning_guide.html
- torch.set_float32_matmul_precision: https://pytorch.org/docs/stable/generated/torch.set_float32_matmul_precision.html
- Hugging Face, "Methods and tools for efficient training on a single GPU" (TF32): https://huggingface.co/docs/transformers/perf_train_gpu_one
- PyTorch profiler FP32MatMulPattern: https://github.com/pytorch/pytorch/blob/main/torch/profiler/_pattern_matcher.py
`,

  checkPython(module, reporter) {
    if (!module.importsAny('torch')) return;
    if (TF32_WORDS.test(module.text)) return;
    if (mentionsAutocast(module) || mentionsHalfPrecision(module) || precisionSetOutside(module)) return;
    // The loop may live in a module beside this one (`main.py` calls `engine.train_one_epoch(...)`): that module
    // must not settle the precision either.
    const imported = hotLoops(module).length === 0 ? importedTrainingCalls(module) : [];
    if (hotLoops(module).length === 0 && imported.length === 0) return;
    if (imported.some((t) => TF32_WORDS.test(t.module.text) || mentionsAutocast(t.module) || mentionsHalfPrecision(t.module) || precisionSetOutside(t.module))) return;
    const anchor = cudaPlacements(module)[0]?.call;
    if (!anchor || tinyModel(module) || cudnnDominated(module)) return;
    reporter.report({
      range: nodeRange(field(anchor, 'function') ?? anchor),
      messageId: 'tf32Off',
      fixes: torchBound(module)
        ? [{ title: 'Enable TF32 matmuls: torch.set_float32_matmul_precision("high")', safe: false, edits: [insertAfterImports(module, 'torch.set_float32_matmul_precision("high")')] }]
        : [],
    });
  },
});

