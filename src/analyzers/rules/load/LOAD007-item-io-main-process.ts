import type { RelatedLocation } from '../../../shared/findings';
import { argument } from '../../engine/calls';
import { field, nodeRange, unwrap, type Node } from '../../engine/syntax';
import { arg, argValue, dataLoaderUses, type DataLoaderUse } from '../../python/dataloaders';
import { datasetItemReads, type DatasetItemReads } from '../../python/item-io';
import type { PythonModule } from '../../python/module';
import { defineRule } from '../rule';

export default defineRule({
  code: 'LOAD007',
  name: 'item-io-main-process',
  family: 'LOAD',
  severity: 'warning',
  confidence: 'high',
  fix: 'none',
  skipTestFiles: true,
  messages: {
    itemReadsInMainProcess: '{{dataset}}.__getitem__ reads a file per sample, and the {{role}} DataLoader that wraps it has no worker processes: every open and decode runs in the main process and adds to every step. Give the DataLoader workers (num_workers=4-8, see LOAD001).',
  },
  docs: `## What it does
Finds a map-style \`Dataset\` whose \`__getitem__\` reads the file of each sample (\`Image.open\`, \`cv2.imread\`,
\`torchaudio.load\`, \`np.load\`, \`torchvision.io.decode_image\`/\`read_image\`, \`open\` … on a path chosen by the index)
when the \`DataLoader\` that wraps it for training has no worker processes (\`num_workers\` absent or 0).

## Why is this bad?
Reading and decoding one file per sample in \`__getitem__\` is the recommended memory-efficient design (the PyTorch
data tutorial reads images there), but only when it overlaps with compute. With \`num_workers=0\` the DataLoader calls
\`__getitem__\` in the main process: "the main training process has to wait for the data" (PyTorch Performance Tuning
Guide), so every file open, read and decode adds directly to every step while the GPU idles.

Only the combination is reported: per-item reads with workers are the right pattern, and worker counts taken from a
variable or a platform check are left alone. Evaluation loaders are reported as \`info\`.

## Example
\`\`\`python
from PIL import Image
from torch.utils.data import DataLoader, Dataset

class Photos(Dataset):
    def __init__(self, paths, labels, transform):
        self.paths, self.labels, self.transform = paths, labels, transform

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, idx):
        image = Image.open(self.paths[idx]).convert("RGB")
        return self.transform(image), self.labels[idx]

def train(model, paths, labels, transform, opt):
    loader = DataLoader(Photos(paths, labels, transform), batch_size=64, shuffle=True)
    for x, y in loader:
        loss = model(x, y)
        loss.backward()
        opt.step()
\`\`\`

## Use instead
\`\`\`python
from PIL import Image
from torch.utils.data import DataLoader, Dataset

class Photos(Dataset):
    def __init__(self, paths, labels, transform):
        self.paths, self.labels, self.transform = paths, labels, transform

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, idx):
        image = Image.open(self.paths[idx]).convert("RGB")
        return self.transform(image), self.labels[idx]

def train(model, paths, labels, transform, opt):
    loader = DataLoader(Photos(paths, labels, transform), batch_size=64, shuffle=True, num_workers=8, persistent_workers=True)
    for x, y in loader:
        loss = model(x, y)
        loss.backward()
        opt.step()
\`\`\`

## Fix safety
There is no fix on this finding: the fix is LOAD001's (load batches in worker processes), offered on the DataLoader
itself. If the dataset fits in memory and its transforms are deterministic, decoding once in \`__init__\` also works
(see PREP005).

## References
- PyTorch Performance Tuning Guide, "Enable asynchronous data loading": https://pytorch.org/tutorials/recipes/recipes/tuning_guide.html
- "Writing Custom Datasets, DataLoaders and Transforms": https://pytorch.org/tutorials/beginner/data_loading_tutorial.html
`,

  checkPython(module, reporter) {
    if (!module.importsAny('torch')) return;
    const datasets = datasetItemReads(module);
    if (datasets.length === 0) return;
    // Lightning's docs show how to silence its worker warning: such code chose 0 workers on purpose.
    if (/filterwarnings\([^)]*num_workers/.test(module.text)) return;
    for (const ds of datasets) {
      const loaders = dataLoaderUses(module).filter((use) => use.role !== 'unknown' && zeroWorkers(use) && wraps(module, use, ds));
      if (loaders.length === 0) continue;
      const loader = loaders.find((l) => l.role === 'train') ?? loaders[0];
      const read = ds.reads[0];
      const related: RelatedLocation[] = [{ range: nodeRange(field(loader.call, 'function') ?? loader.call), message: 'wrapped by this DataLoader with 0 workers' }];
      for (const other of ds.reads.slice(1)) related.push({ range: nodeRange(other.call), message: 'another per-sample read' });
      reporter.report({
        range: nodeRange(read.call),
        severity: loader.role === 'train' ? undefined : 'info',
        messageId: 'itemReadsInMainProcess',
        data: { dataset: ds.className, role: loader.role === 'train' ? 'training' : 'evaluation' },
        related,
      });
    }
  },
});

function zeroWorkers(use: DataLoaderUse): boolean {
  const v = argValue(arg(use, 'num_workers'));
  return v === 'absent' || v === 0;
}

/** Does the loader's dataset argument construct the class: `DataLoader(Photos(...))` or `ds = Photos(...)` … `DataLoader(ds)`? */
function wraps(module: PythonModule, use: DataLoaderUse, ds: DatasetItemReads): boolean {
  const lookup = argument(use.args, 'dataset', 0);
  if (lookup.kind !== 'present') return false;
  return constructs(module, lookup.node, ds.className, 0);
}

function constructs(module: PythonModule, expr: Node, className: string, depth: number): boolean {
  if (depth > 3) return false;
  const n = unwrap(expr);
  if (n.type === 'call') {
    const fn = field(n, 'function');
    if (fn?.type === 'identifier' && fn.text === className) return true;
    // `Subset(Photos(...), idx)`, `ConcatDataset([...])`: look one level inside.
    const args = field(n, 'arguments');
    const first = args?.namedChild(0);
    return !!first && first.type !== 'keyword_argument' && constructs(module, first, className, depth + 1);
  }
  if (n.type === 'list') return (n.namedChildren.filter((c): c is Node => c !== null)).some((c) => constructs(module, c, className, depth + 1));
  if (n.type === 'identifier' || n.type === 'attribute') {
    return module.assignmentsTo(n.text).some((a) => {
      const right = field(a, 'right');
      return field(a, 'left')?.text === n.text && !!right && constructs(module, right, className, depth + 1);
    });
  }
  return false;
}
