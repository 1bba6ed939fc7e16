import { nodeRange } from '../../engine/syntax';
import { cudaPlacements } from '../../python/device';
import { defineRule } from '../rule';
import { loopHeaderRange, mentionsAutocast, mentionsHalfPrecision, precisionSetOutside, tinyNetwork } from './precision';

export default defineRule({
  code: 'HW001',
  name: 'cuda-fp32-training',
  family: 'HW',
  severity: 'info',
  confidence: 'medium',
  fix: 'none',
  docs: `## What it does
Finds a hand-written PyTorch training loop (a loop that calls \`backward()\` and \`step()\`) in a module that moves its
model or batches to CUDA (\`.cuda()\`, \`.to("cuda")\`, \`.to(device)\` with \`device = torch.device("cuda" if
torch.cuda.is_available() else "cpu")\`) and never uses \`torch.autocast\`, so every matmul and convolution runs in FP32.

## Why is this bad?
Mixed precision "offers up to 3x overall speedup on Volta and newer GPU architectures" (PyTorch Performance Tuning
Guide), and the AMP recipe expects a "significant (2-3X) speedup" on GPUs with Tensor Cores. In FP32 the Tensor Cores
sit mostly idle and activations take twice the memory.

The gain depends on the GPU: bfloat16 needs Ampere (A100, RTX 30xx) or newer; on Volta and Turing use float16 with a
\`GradScaler\`; pre-Volta GPUs see "a modest speedup" at best. So this is advice (\`info\`). The rule stays silent when
precision is decided elsewhere (Accelerate, DeepSpeed, Lightning Fabric, apex), when the model is already cast to 16
bits, for CPU/MPS code, and for toy networks whose layers are all tiny ("Small networks may be CPU bound, in which case
mixed precision won't improve performance", AMP recipe).

## Example
\`\`\`python
import torch

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

def train(model, loader, opt, loss_fn):
    model.to(device)
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
\`\`\`

## Use instead
\`\`\`python
import torch

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

def train(model, loader, opt, loss_fn):
    model.to(device)
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        opt.zero_grad()
        with torch.autocast("cuda", dtype=torch.bfloat16):  # Ampere+; float16 + GradScaler on older GPUs
            loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
\`\`\`

## Fix safety
No automatic fix: which statements form the forward pass, and whether the loss is numerically safe in 16 bits, needs a
human. Mixed precision changes numerical results (within the tolerances AMP is designed for).

## References
- PyTorch Performance Tuning Guide, "Use mixed precision and AMP": https://pytorch.org/tutorials/recipes/recipes/tuning_guide.html
- Automatic Mixed Precision recipe: https://pytorch.org/tutorials/recipes/recipes/amp_recipe.html
- torch.amp documentation: https://pytorch.org/docs/stable/amp.html
`,

  checkPython(module, reporter) {
    if (!module.importsAny('torch') || module.isTestOrDebugFile()) return;
    if (mentionsAutocast(module) || mentionsHalfPrecision(module)) return;
    const loops = module.hotLoops();
    if (loops.length === 0) return;
    const cuda = cudaPlacements(module);
    if (cuda.length === 0 || precisionSetOutside(module) || tinyNetwork(module)) return;
    for (const loop of loops) {
      reporter.report({
        range: loopHeaderRange(loop),
        message:
          'This training loop runs on CUDA in full FP32 (no torch.autocast in this module), leaving the Tensor Cores mostly idle; ' +
          'mixed precision is up to 3x faster on Volta and newer GPUs. Wrap the forward pass and loss in ' +
          '`with torch.autocast("cuda", dtype=torch.bfloat16):` (bf16 needs Ampere+; on older GPUs use float16 with a GradScaler).',
        related: [{ range: nodeRange(cuda[0].call), message: 'moved to CUDA here' }],
      });
    }
  },
});
