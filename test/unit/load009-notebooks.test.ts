// LOAD009 in a notebook that never trains (a guide that parses TFRecords only to print them), through the
// real analyzer: its pipelines feed no training, so nothing is reported; the same cells followed by a
// training cell are reported (LOAD009's docs).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeNotebookCells } from '../../src/analyzers';

const CELLS = [
  'import tensorflow as tf',
  'raw = tf.data.TFRecordDataset("images.tfrecords")\nspec = {"label": tf.io.FixedLenFeature([], tf.int64)}\n\ndef parse(p):\n    return tf.io.parse_single_example(p, spec)\n\nparsed = raw.map(parse)\nparsed',
];
const code = (source: string) => ({ kind: 'code' as const, source });

describe('LOAD009 in notebooks', () => {
  it('is silent when the notebook never trains, and reports once it does', async () => {
    const inspect = await analyzeNotebookCells('guide.ipynb', CELLS.map(code));
    assert.deepEqual(inspect.findings.filter((f) => f.code === 'LOAD009'), []);
    const training = await analyzeNotebookCells('train.ipynb', [...CELLS, 'model = tf.keras.Sequential([tf.keras.layers.Dense(1)])\nmodel.compile("adam", "mse")\nmodel.fit(parsed.batch(32), epochs=3)'].map(code));
    assert.equal(training.findings.filter((f) => f.code === 'LOAD009').length, 1);
  });
});
