import { callArguments } from '../../engine/calls';
import { field, methodReceiver, nodeRange, textOf, unwrap, type Node } from '../../engine/syntax';
import { descendantsOfType } from '../../python/bindings';
import { datasetItemReads, listingCallIn, REMOTE_PATH, type DatasetItemReads } from '../../python/item-io';
import type { PythonModule } from '../../python/module';
import { tfDataMapCalls } from '../../python/tfdata';
import { tfDataSources } from '../../python/tfdata-sources';
import { defineRule } from '../rule';
import { mentionsAny } from '../../python/dataset-classes';

const LIST_FILES = 'tensorflow.data.Dataset.list_files';
const FROM_SLICES = 'tensorflow.data.Dataset.from_tensor_slices';
const TF_READ_FILE = 'tensorflow.io.read_file';

export default defineRule({
  code: 'LOAD012',
  name: 'small-file-per-sample',
  family: 'LOAD',
  severity: 'info',
  confidence: 'medium',
  fix: 'none',
  skipTestFiles: true,
  messages: {
    datasetFilePerSample: '{{dataset}} lists one file per sample here and __getitem__ opens each one in random order{{cost}}. Pack the samples once into ~100 MB shards (WebDataset .tar, TFRecord, Parquet) and read them sequentially.',
    tfdataFilePerSample: 'The tf.data pipeline lists one file per sample here and reads each with tf.io.read_file{{cost}}. Pack the samples once into ~100 MB shards (WebDataset .tar, TFRecord, Parquet) and read them sequentially.',
  },
  docs: `## What it does
Finds training data stored as one small file per sample and read in random order: a map-style \`Dataset\` whose file
list comes from \`os.listdir\`/\`os.walk\`/\`glob\`/\`Path.rglob\`/\`Path.iterdir\` and whose \`__getitem__\` opens the file of
each index, or a \`tf.data.Dataset.list_files\` (or \`from_tensor_slices\` of a glob) mapped through \`tf.io.read_file\`.
The finding sits on the directory listing and says more when the paths point to object storage or a network mount
(\`s3://\`, \`gs://\`, \`/mnt/\`, NFS).

## Why is this bad?
Every sample costs a file open, a metadata lookup and a small random read. WebDataset's documentation: "purely
sequential I/O … is important for achieving high I/O rates from local storage (3x-10x for local drives compared to
random access)". The TensorFlow TFRecord guide recommends shards of "at least 10 MB+ and ideally 100 MB+" so that
I/O prefetching helps, and the Hugging Face Hub's WebDataset page calls shards "orders of magnitude faster than
reading separate data files one by one" on remote storage, where each open pays a round trip.

Whether it matters depends on the storage and the file count (a few thousand images on a local NVMe drive are
fine), so this is \`info\`.

## Example
\`\`\`python
import os
from PIL import Image
from torch.utils.data import Dataset

class Frames(Dataset):
    def __init__(self, root, transform):
        self.files = sorted(os.path.join(root, f) for f in os.listdir(root))
        self.transform = transform

    def __len__(self):
        return len(self.files)

    def __getitem__(self, idx):
        return self.transform(Image.open(self.files[idx]).convert("RGB"))
\`\`\`

## Use instead
\`\`\`python
import webdataset as wds

def frames(shard_urls, transform):
    # Shards written once with wds.ShardWriter: sequential reads of ~100 MB .tar files.
    return (
        wds.WebDataset(shard_urls, shardshuffle=True)
        .shuffle(1000)
        .decode("pil")
        .to_tuple("jpg")
        .map_tuple(transform)
    )
\`\`\`

## Fix safety
There is no automatic fix: converting the data is a one-off job outside the training script. Write the samples once
into WebDataset \`.tar\` shards (\`webdataset.ShardWriter\`), TFRecord files, or Parquet row groups of 100 MB or more,
then read them with \`webdataset.WebDataset(urls)\`, \`tf.data.TFRecordDataset(files, num_parallel_reads=…)\` or a
streaming \`datasets\` loader, shuffling shards plus a buffer instead of single files.

## References
- WebDataset, "Why WebDataset?" (sequential I/O): https://github.com/pytorch/data/blob/main/docs/source/webdataset.rst
- TensorFlow, "TFRecord and tf.train.Example": https://www.tensorflow.org/tutorials/load_data/tfrecord
- Hugging Face Hub, WebDataset: https://huggingface.co/docs/hub/datasets-webdataset
`,

  checkPython(module, reporter) {
    if (module.importsAny('torch')) {
      for (const ds of datasetItemReads(module)) {
        const listing = listingFor(module, ds);
        if (!listing) continue;
        reporter.report({
          range: nodeRange(listing.call),
          messageId: 'datasetFilePerSample',
          data: { dataset: ds.className, cost: cost(module, listing.call) },
          related: [{ range: nodeRange(listing.read), message: 'read per sample here' }],
        });
      }
    }
    if (module.importsAny('tensorflow') && module.text.includes('read_file')) {
      const reported = new Set<number>();
      for (const map of tfDataMapCalls(module)) {
        if (!readsFiles(module, map)) continue;
        const receiver = methodReceiver(map);
        if (!receiver) continue;
        for (const source of tfDataSources(module, receiver)) {
          const listing = tfListing(module, source);
          if (!listing || reported.has(listing.id)) continue;
          reported.add(listing.id);
          reporter.report({
            range: nodeRange(listing),
            messageId: 'tfdataFilePerSample',
            data: { cost: cost(module, listing) },
            related: [{ range: nodeRange(map), message: 'read per sample in this map' }],
          });
        }
      }
    }
  },
});

function cost(module: PythonModule, listing: Node): string {
  const direct = REMOTE_PATH.test(textOf(listing));
  const mentioned = !direct && REMOTE_PATH.test(module.text);
  return direct
    ? ': on object storage or a network mount every sample pays a round trip, which usually makes this the bottleneck'
    : mentioned
      ? ': every sample pays a file open and a small random read, and this module names network or object storage paths, where each open is a round trip'
      : ': every sample pays a file open and a small random read (3-10x slower than sequential reads on local drives, far worse on network storage)';
}

/** The directory listing that fills the list `__getitem__` indexes (`self.files[idx]`), with the read it feeds. */
function listingFor(module: PythonModule, ds: DatasetItemReads): { call: Node; read: Node } | undefined {
  const body = field(ds.getitem, 'body');
  if (!body) return undefined;
  const attributes = new Set<string>();
  for (const sub of descendantsOfType(body, 'subscript')) {
    const value = field(sub, 'value');
    const index = field(sub, 'subscript');
    if (value?.type !== 'attribute' || field(value, 'object')?.text !== 'self' || !index) continue;
    if (mentionsAny(module, index, ds.tainted)) attributes.add(value.text);
  }
  for (const attr of attributes) {
    const listing = listingOfAttribute(module, ds.cls, attr);
    if (listing) return { call: listing, read: ds.reads[0].call };
  }
  return undefined;
}

function listingOfAttribute(module: PythonModule, cls: Node, attr: string): Node | undefined {
  for (const a of module.assignmentsTo(attr)) {
    if (module.enclosingClass(a)?.id !== cls.id || field(a, 'left')?.text !== attr) continue;
    const right = field(a, 'right');
    if (!right) continue;
    const found = listingCallIn(module, right) ?? viaLocal(module, right, a);
    if (found) return found;
  }
  // `self.samples.append(...)` inside `for f in os.listdir(root):`.
  for (const method of ['append', 'extend']) {
    for (const call of module.methodCalls(method)) {
      if (methodReceiver(call)?.text !== attr || module.enclosingClass(call)?.id !== cls.id) continue;
      for (let loop = module.enclosingLoop(call); loop; loop = module.enclosingLoop(loop)) {
        const right = field(loop, 'right');
        const found = right && listingCallIn(module, right);
        if (found) return found;
      }
    }
  }
  return undefined;
}

/** `files = sorted(glob(...)); self.files = files`: one hop through a local of the same method. */
function viaLocal(module: PythonModule, right: Node, at: Node): Node | undefined {
  const n = unwrap(right);
  if (n.type !== 'identifier') return undefined;
  const fn = module.enclosingFunction(at);
  for (const a of module.assignmentsTo(n.text)) {
    if (module.enclosingFunction(a)?.id !== fn?.id || field(a, 'left')?.text !== n.text) continue;
    const value = field(a, 'right');
    const found = value && listingCallIn(module, value);
    if (found) return found;
  }
  return undefined;
}

/** Does the map function read a file per element with `tf.io.read_file` (directly or through one local helper)? */
function readsFiles(module: PythonModule, map: Node): boolean {
  const fnArg = callArguments(map).positional[0] ?? callArguments(map).keywords.get('map_func');
  if (!fnArg) return false;
  const f = unwrap(fnArg);
  const scope = f.type === 'lambda' ? f : f.type === 'identifier' ? module.findFunction(f.text, map) : undefined;
  if (!scope) return false;
  const calls = module.callsInside(scope);
  if (calls.some((c) => module.callee(c) === TF_READ_FILE)) return true;
  return calls.some((c) => {
    const target = module.localCallTarget(c);
    return !!target && target.id !== scope.id && module.callsInside(target).some((inner) => module.callee(inner) === TF_READ_FILE);
  });
}

/** The listing behind a tf.data source: `list_files(...)` itself, or the glob a `from_tensor_slices(paths)` slices. */
function tfListing(module: PythonModule, source: Node): Node | undefined {
  const callee = module.callee(source);
  if (callee === LIST_FILES) return source;
  if (callee !== FROM_SLICES) return undefined;
  const first = callArguments(source).positional[0];
  if (!first) return undefined;
  return listingCallIn(module, first) ?? viaLocal(module, first, source);
}
