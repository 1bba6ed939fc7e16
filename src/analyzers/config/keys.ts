// Where each framework keeps the DataLoader and Trainer settings in its config files, so config rules
// ask "the training loader's num_workers" instead of knowing every layout.
import type { ConfigKind } from './classify';
import type { ConfigDocument, ConfigNode } from './document';

export interface ConfigKey {
  /** Dotted path of the key, as shown in messages. */
  path: string;
  /** The value node when the key is present. */
  node?: ConfigNode;
  /** Where to report when the key is absent (the enclosing map). */
  anchor: ConfigNode;
}

/** A Hydra file in a `data/` (or `datamodule/`) config group, or one whose `_target_` is a DataModule/DataLoader. */
export function isHydraDataGroup(doc: ConfigDocument): boolean {
  const p = doc.path.replace(/\\/g, '/');
  const target = doc.scalar('_target_');
  return /(^|\/)(data|datamodule|dataset|datasets)\/[^/]+$/.test(p) || (typeof target === 'string' && /(DataModule|DataLoader)$/.test(target));
}

/** The maps that hold DataLoader settings, with their dotted prefix. */
export function dataLoaderMaps(doc: ConfigDocument, kinds: ReadonlySet<ConfigKind>): Array<{ prefix: string; map: ConfigNode }> {
  const out: Array<{ prefix: string; map: ConfigNode }> = [];
  // A file with both fingerprints (a Hydra `defaults:` list over Lightning CLI keys) names `data` twice: keep one.
  const add = (prefix: string) => {
    const m = doc.get(prefix);
    if (m?.kind === 'map' && !out.some((o) => o.map === m)) out.push({ prefix, map: m });
  };
  if (kinds.has('lightning-cli')) {
    add('data.init_args');
    if (!doc.get('data.init_args')) add('data');
  }
  if (kinds.has('hydra')) {
    if (isHydraDataGroup(doc) && doc.root?.kind === 'map' && !out.some((o) => o.map === doc.root)) out.push({ prefix: '', map: doc.root });
    add('data');
    add('datamodule');
  }
  return out;
}

const TRUE_HF_TRAINING = ['per_device_train_batch_size', 'num_train_epochs', 'max_steps', 'do_train'];

/**
 * Keys only TRL's text trainers take (SFTConfig, DPOConfig, ORPO/KTO/GRPOConfig): their trainers tokenize the
 * whole dataset up front, so every item the DataLoader serves is already token ids in memory.
 */
const TRL_TEXT_TRAINER_KEYS = ['max_seq_length', 'packing', 'dataset_text_field', 'max_prompt_length', 'max_completion_length', 'num_generations'];

/** A Hugging Face training-arguments file for one of TRL's text trainers (see TRL_TEXT_TRAINER_KEYS). */
export function isTrlTextTrainerConfig(doc: ConfigDocument): boolean {
  return TRL_TEXT_TRAINER_KEYS.some((k) => doc.get(k) !== undefined);
}

/** DataLoader worker counts of 0/1 (or the HF key left at its default of 0) in a training config. */
export function zeroWorkerConfigKeys(doc: ConfigDocument, kinds: ReadonlySet<ConfigKind>): ConfigKey[] {
  const out: ConfigKey[] = [];
  for (const { prefix, map } of dataLoaderMaps(doc, kinds)) {
    const node = map.entries!.get('num_workers');
    if (node?.kind === 'scalar' && (node.value === 0 || node.value === 1)) {
      out.push({ path: prefix ? `${prefix}.num_workers` : 'num_workers', node, anchor: map });
    }
  }
  if (kinds.has('hf-training-args') && doc.root?.kind === 'map' && TRUE_HF_TRAINING.some((k) => doc.get(k))) {
    const node = doc.get('dataloader_num_workers');
    if (!node) out.push({ path: 'dataloader_num_workers', anchor: doc.get('per_device_train_batch_size') ?? doc.root.entries!.values().next().value ?? doc.root });
    else if (node.kind === 'scalar' && (node.value === 0 || node.value === 1)) out.push({ path: 'dataloader_num_workers', node, anchor: doc.root });
  }
  return out;
}
