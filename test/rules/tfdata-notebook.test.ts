// A notebook is the whole program: a tf.data pipeline its cells never read, only sample, or read through a cache does
// no repeated work, whatever the rest of the notebook trains on (python/tfdata.ts tfDataConsumers).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers';

const cell = (source: string) => ({ cell_type: 'code', metadata: {}, execution_count: null, source, outputs: [] });
const notebook = (cells: string[]) => JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: cells.map(cell) });

async function cellsWith(code: string, cells: string[]): Promise<Array<{ cell: number | undefined; severity: string }>> {
  const { findings } = await analyze('tutorial.ipynb', notebook(cells), {});
  return findings.filter((f) => f.code === code).map((f) => ({ cell: f.cell, severity: f.severity }));
}

const SETUP = `import tensorflow as tf

def parse(record):
    return tf.io.parse_tensor(record, tf.float32)

def augment(x):
    return tf.image.random_flip_left_right(x)`;

describe('tf.data pipelines in notebooks', () => {
  it('a dataset assigned and never read does no work (LOAD009)', async () => {
    assert.deepEqual(await cellsWith('LOAD009', [
      SETUP,
      'raw = tf.data.TFRecordDataset(["a.tfrecord"])',
      'augmented = raw.map(augment)',
      'def prepare(ds):\n    return ds.map(parse, num_parallel_calls=tf.data.AUTOTUNE).batch(32)',
      'model.fit(prepare(raw), epochs=3)',
    ]), []);
  });

  it('a map upstream of a cache runs once, also when the cached name is read inside a function (LOAD009)', async () => {
    assert.deepEqual(await cellsWith('LOAD009', [
      SETUP,
      'packed = tf.data.TFRecordDataset(["a.tfrecord"]).batch(1000).map(parse).unbatch()',
      'for x in packed.batch(100).take(1):\n    print(x)',
      'train = packed.take(5000).cache()\ntrain = train.shuffle(500).batch(50)',
      'def compile_and_fit(model):\n    return model.fit(train.map(lambda x: (x, tf.expand_dims(x, -1))), epochs=100)',
      'compile_and_fit(model)',
    ]), []);
  });

  it('a map whose dataset feeds fit uncached is still reported', async () => {
    assert.deepEqual(await cellsWith('LOAD009', [
      SETUP,
      'packed = tf.data.TFRecordDataset(["a.tfrecord"]).map(parse)',
      'model.fit(packed.batch(50), epochs=100)',
    ]), [{ cell: 1, severity: 'info' }]);
  });

  it('the cached in-memory pipeline of that notebook has nothing to prefetch (LOAD008)', async () => {
    const cells = [
      SETUP,
      'packed = tf.data.TFRecordDataset(["a.tfrecord"]).map(parse, num_parallel_calls=4)',
      'train = packed.cache().shuffle(500).batch(50)',
      'model.fit(train.map(lambda x: (x, tf.expand_dims(x, -1))), epochs=100)',
    ];
    assert.deepEqual(await cellsWith('LOAD008', cells), []);
    cells[2] = 'train = packed.shuffle(500).batch(50)';
    assert.deepEqual(await cellsWith('LOAD008', cells), [{ cell: 3, severity: 'info' }]);
  });
});
