// Which training framework a config file belongs to, by its fingerprints (docs/analysis.md, "Config kinds").
import type { ConfigDocument, ConfigNode } from './document';

export type ConfigKind = 'lightning-cli' | 'hydra' | 'hf-training-args' | 'deepspeed' | 'accelerate';

const HF_KEYS = [
  'per_device_train_batch_size', 'per_device_eval_batch_size', 'eval_strategy', 'evaluation_strategy',
  'dataloader_num_workers', 'load_best_model_at_end', 'metric_for_best_model', 'save_strategy', 'logging_steps',
];

export function classifyConfig(doc: ConfigDocument): Set<ConfigKind> {
  const kinds = new Set<ConfigKind>();
  const root = doc.root;
  if (!root || root.kind !== 'map') return kinds;
  const top = root.entries!;
  const has = (k: string) => top.has(k);

  let classPath = false;
  let target = false;
  for (const [, map] of doc.maps()) {
    if (map.entries!.has('class_path') || map.entries!.has('init_args')) classPath = true;
    if (map.entries!.has('_target_')) target = true;
  }
  const trainerMap = top.get('trainer')?.kind === 'map';
  if (classPath || (trainerMap && (has('model') || has('data') || has('seed_everything') || has('ckpt_path')))) kinds.add('lightning-cli');
  if (target || (has('defaults') && top.get('defaults')!.kind === 'seq') || /^#\s*@package\b/m.test(doc.text)) kinds.add('hydra');
  if (HF_KEYS.some(has) || (has('output_dir') && (has('num_train_epochs') || has('learning_rate')))) kinds.add('hf-training-args');
  if (has('zero_optimization') || has('train_micro_batch_size_per_gpu') || (has('train_batch_size') && isMapWith(top.get('fp16') ?? top.get('bf16'), 'enabled'))) kinds.add('deepspeed');
  if (has('mixed_precision') && (has('distributed_type') || has('compute_environment'))) kinds.add('accelerate');
  return kinds;
}

function isMapWith(node: ConfigNode | undefined, key: string): boolean {
  return node?.kind === 'map' && node.entries!.has(key);
}
