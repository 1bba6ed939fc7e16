// LOAD008/LOAD009 severities follow TensorFlow's defaults (see the rule docs): info where TF >= 2.12 injects the
// prefetch or parallelises the map itself, warning where the code turns that off or the map is stateful.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers';

async function findings(text: string, code: string) {
  const { findings } = await analyze('train.py', text, {});
  return findings.filter((f) => f.code === code).map((f) => ({ line: f.range.start.line + 1, severity: f.severity }));
}

const PIPELINE = `import tensorflow as tf

def augment(x):
    return tf.image.random_flip_left_right(x)

def train(model, files):
    ds = tf.data.TFRecordDataset(files)
    ds = ds.map(tf.io.parse_tensor_stub)
    ds = ds.map(augment)
    ds = ds.batch(32)
    model.fit(ds, epochs=10)
`;

describe('tf.data severities follow TensorFlow defaults', () => {
  it('LOAD008 is info while prefetch injection is on by default', async () => {
    assert.deepEqual(await findings(PIPELINE, 'LOAD008'), [{ line: 10, severity: 'info' }]);
  });

  it('LOAD008 is a warning when the module turns prefetch injection off', async () => {
    const off = PIPELINE.replace('    ds = ds.batch(32)\n', '    ds = ds.batch(32)\n    options = tf.data.Options()\n    options.experimental_optimization.inject_prefetch = False\n    ds = ds.with_options(options)\n');
    assert.deepEqual(await findings(off, 'LOAD008'), [{ line: 13, severity: 'warning' }]);
  });

  it('LOAD009 is info for a stateless map and a warning for a random one', async () => {
    assert.deepEqual(await findings(PIPELINE, 'LOAD009'), [{ line: 8, severity: 'info' }, { line: 9, severity: 'warning' }]);
  });

  it('LOAD009 is a warning for every map when the module disables default optimisations', async () => {
    const off = PIPELINE.replace('    ds = ds.batch(32)\n', '    ds = ds.batch(32)\n    opts = tf.data.Options()\n    opts.experimental_optimization.apply_default_optimizations = False\n');
    assert.deepEqual(await findings(off, 'LOAD009'), [{ line: 8, severity: 'warning' }, { line: 9, severity: 'warning' }]);
  });

  it('no LOAD008 on a Keras dataset utility used as returned, info once a map follows it', async () => {
    const text = `import keras

def train(model):
    train_ds = keras.utils.image_dataset_from_directory("data/train")
    val_ds = keras.utils.text_dataset_from_directory("data/val").map(lambda x, y: (x, y))
    model.fit(train_ds, validation_data=val_ds, epochs=3)
`;
    assert.deepEqual(await findings(text, 'LOAD008'), [{ line: 5, severity: 'info' }]);
  });
});
