// Per-sample file reads in map-style Datasets: `__getitem__` opening the file of sample `idx`
// (`Image.open(self.paths[idx])`, `torchaudio.load(path)`, `np.load(...)`). Reading there is the
// recommended lazy pattern (docs/analysis.md, trap 5); LOAD007 and LOAD012 only report it combined with
// another fact (no worker processes; one small file per sample listed from a directory).
import { calledMethod, field, methodReceiver, textOf, unwrap, type Node } from '../engine/syntax';
import { argument, callArguments } from '../engine/calls';
import { classMethods, isMapStyleDataset, mentionsAny, taintedNames } from './dataset-classes';
import { descendantsOfType, parameterNames } from './bindings';
import { ModuleFact } from './facts';
import type { PythonModule } from './module';

/** Readers that open one file named by their first argument (canonical names). */
export const PER_ITEM_READERS: ReadonlySet<string> = new Set([
  'PIL.Image.open', 'cv2.imread', 'cv2.VideoCapture', 'torchaudio.load', 'numpy.load', 'numpy.fromfile', 'torch.load',
  'torchvision.io.read_image', 'torchvision.io.decode_image', 'torchvision.io.read_file', 'torchvision.io.read_video',
  'imageio.imread', 'imageio.v2.imread', 'imageio.v3.imread', 'skimage.io.imread', 'tifffile.imread',
  'soundfile.read', 'librosa.load', 'scipy.io.wavfile.read', 'nibabel.load', 'pydicom.dcmread', 'pydicom.read_file',
  'tensorflow.io.read_file',
]);

export interface ItemRead {
  call: Node;
  /** The expression naming the file. */
  path: Node;
}

export interface DatasetItemReads {
  cls: Node;
  className: string;
  getitem: Node;
  /** Per-index reads in `__getitem__`, in document order. */
  reads: ItemRead[];
  /** Names in `__getitem__` that depend on the index argument. */
  tainted: ReadonlySet<string>;
}

const itemReadsCache = new ModuleFact<DatasetItemReads[]>();

/** Map-style Dataset classes whose `__getitem__` reads a file chosen by the index, memoised. */
export function datasetItemReads(module: PythonModule): DatasetItemReads[] {
  return itemReadsCache.get(module, () => {
    const out: DatasetItemReads[] = [];
    if (!/__getitem__/.test(module.text)) return out;
    for (const getitem of module.functions) {
      if (module.functionName(getitem) !== '__getitem__' || module.enclosingFunction(getitem) !== undefined) continue;
      const cls = module.enclosingClass(getitem);
      if (!cls) continue;
      const methods = classMethods(module, cls);
      if (!isMapStyleDataset(module, cls, methods)) continue;
      const params = parameterNames(getitem);
      if (params.length < 1) continue;
      const tainted = taintedNames(module, getitem, params);
      const body = field(getitem, 'body');
      if (!body) continue;
      const reads: ItemRead[] = [];
      for (const call of module.callsWithin(body)) {
        const read = asItemRead(module, call);
        if (read && mentionsAny(module, read.path, tainted)) reads.push(read);
      }
      if (reads.length > 0) out.push({ cls, className: field(cls, 'name')?.text ?? '', getitem, reads, tainted });
    }
    return out;
  });
}

function asItemRead(module: PythonModule, call: Node): ItemRead | undefined {
  const callee = module.callee(call);
  if (callee !== undefined && PER_ITEM_READERS.has(callee)) {
    const args = callArguments(call);
    const path = args.positional[0] ?? args.keywords.get('fp') ?? args.keywords.get('filename') ?? args.keywords.get('path') ?? args.keywords.get('file');
    return path ? { call, path } : undefined;
  }
  const fn = field(call, 'function');
  // Builtin `open(path)` in read mode.
  if (fn?.type === 'identifier' && textOf(fn) === 'open' && module.imports.resolveDotted('open') === undefined) {
    const args = callArguments(call);
    const mode = argument(args, 'mode', 1);
    if (mode.kind === 'present' && /[wax+]/.test(textOf(mode.node))) return undefined;
    const path = args.positional[0] ?? args.keywords.get('file');
    return path ? { call, path } : undefined;
  }
  // `Path(p).read_bytes()` / `.read_text()`.
  const method = calledMethod(call);
  if (method === 'read_bytes' || method === 'read_text') {
    const receiver = methodReceiver(call);
    return receiver ? { call, path: receiver } : undefined;
  }
  return undefined;
}

/** Canonical callees that list a directory; method names that list one on a `Path` or fsspec filesystem. */
const LISTING_CALLS: ReadonlySet<string> = new Set([
  'os.listdir', 'os.scandir', 'os.walk', 'glob.glob', 'glob.iglob', 'tensorflow.io.gfile.glob', 'tensorflow.io.gfile.listdir',
  'tensorflow.data.Dataset.list_files',
]);
const LISTING_METHODS: ReadonlySet<string> = new Set(['rglob', 'iterdir', 'glob']);

/** The directory-listing call inside an expression, if any. */
export function listingCallIn(module: PythonModule, expr: Node): Node | undefined {
  for (const call of [unwrap(expr), ...descendantsOfType(expr, 'call')]) {
    if (call.type !== 'call') continue;
    const callee = module.callee(call);
    if (callee !== undefined && LISTING_CALLS.has(callee)) return call;
    const method = calledMethod(call);
    if (method && LISTING_METHODS.has(method) && callee === undefined) {
      // `x.glob(...)` is a listing only on a path-like receiver: `Path(...)`, `self.root`, `root`, `fs`.
      const receiver = methodReceiver(call);
      if (receiver && receiver.type !== 'string') return call;
    }
  }
  return undefined;
}

/** Paths on object storage or network mounts: every random read pays a round trip. */
export const REMOTE_PATH = /(["'`]|^)(s3a?|gs|gcs|az|abfss?|hdfs|https?):\/\/|["'](\/mnt\/|\/nfs\/|\/net\/|\/gpfs\/|\/lustre\/|\/dbfs\/|\\\\\\\\)/i;
