// Whether a module reads any data at all. A training loop in a module that reads no file, no dataset library and
// no loader trains on numbers written in the code (a regression on a dozen literal points, a tagger on two
// sentences): a toy demonstration, where advice about hardware (HW009's docs) has nothing to gain.
import { ModuleFact } from './facts';
import type { PythonModule } from './module';

/**
 * Words that mean data comes from outside the code: loaders and datasets (also ones built in another module and
 * imported), file and network reads, and the dataset modules of torchvision, Keras, scikit-learn, Hugging Face,
 * TensorFlow and pandas. `torch.load` alone (a checkpoint) is not data.
 */
const READS_DATA =
  /\b(DataLoader|[Dd]ataset\w*|\w*[Ll]oader\w*|read_\w+|load_data|load_dataset|load_from_disk|load_iris|load_digits|load_wine|load_breast_cancer|fetch_\w+|loadtxt|genfromtxt|fromfile|imread|listdir|glob|urlopen|urlretrieve|requests|tfds|np\.load|numpy\.load|torchvision|torchtext|torchaudio|Image\.open|h5py|pickle\.load|joblib\.load|json\.load)\b|\bopen\(|\.read\(|\.read_text\(|\.iterdir\(/;

/** True when nothing in the code (comments aside) reads data from outside it (see READS_DATA). */
export function readsNoData(module: PythonModule): boolean {
  return readsNoDataCache.get(module, () => !READS_DATA.test(module.text.replace(/#.*$/gm, '')));
}
const readsNoDataCache = new ModuleFact<boolean>();
