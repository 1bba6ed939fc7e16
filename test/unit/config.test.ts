import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyConfig } from '../../src/analyzers/config/classify';
import { ConfigDocument } from '../../src/analyzers/config/document';

describe('config documents', () => {
  it('maps YAML keys and values to source positions', () => {
    const doc = new ConfigDocument('c.yaml', 'trainer:\n  max_epochs: 20\ndata:\n  init_args:\n    num_workers: 0\n', 'yaml');
    const n = doc.get('data.init_args.num_workers')!;
    assert.equal(n.value, 0);
    assert.deepEqual(n.range, { start: { line: 4, character: 17 }, end: { line: 4, character: 18 } });
    assert.deepEqual(n.keyRange, { start: { line: 4, character: 4 }, end: { line: 4, character: 15 } });
    assert.equal(doc.scalar('trainer.max_epochs'), 20);
  });

  it('maps JSON (with comments and trailing commas) to source positions', () => {
    const doc = new ConfigDocument('a.json', '{\n  // hf\n  "output_dir": "out",\n  "dataloader_num_workers": 0,\n}\n', 'json');
    const n = doc.get('dataloader_num_workers')!;
    assert.equal(n.value, 0);
    assert.deepEqual(n.range.start, { line: 3, character: 28 });
    assert.deepEqual(doc.problems, []);
  });

  it('reports malformed YAML and JSON once, without a tree', () => {
    const y = new ConfigDocument('bad.yaml', 'trainer:\n  max_epochs: [1, 2\n', 'yaml');
    assert.equal(y.root, undefined);
    assert.match(y.problems[0].message, /YAML syntax error/);
    const j = new ConfigDocument('bad.json', '{"a": 1,, }', 'json');
    assert.equal(j.root, undefined);
    assert.match(j.problems[0].message, /JSON syntax error/);
  });

  it('classifies configs by their fingerprints', () => {
    const kinds = (text: string, file = 'c.yaml') => [...classifyConfig(new ConfigDocument(file, text, file.endsWith('.json') ? 'json' : 'yaml'))].sort();
    assert.deepEqual(kinds('trainer:\n  max_epochs: 3\nmodel:\n  class_path: a.B\n'), ['lightning-cli']);
    assert.deepEqual(kinds('defaults:\n  - _self_\n  - data: mnist\n'), ['hydra']);
    assert.deepEqual(kinds('_target_: src.data.MNISTDataModule\nbatch_size: 64\n'), ['hydra']);
    assert.deepEqual(kinds('{"output_dir": "o", "per_device_train_batch_size": 8}', 'a.json'), ['hf-training-args']);
    assert.deepEqual(kinds('{"zero_optimization": {"stage": 2}, "bf16": {"enabled": true}}', 'ds.json'), ['deepspeed']);
    assert.deepEqual(kinds('compute_environment: LOCAL_MACHINE\ndistributed_type: MULTI_GPU\nmixed_precision: bf16\n'), ['accelerate']);
    assert.deepEqual(kinds('name: my-package\nversion: 1\n'), []);
  });
});

describe('pathological configs', () => {
  it('reports JSON and YAML nested thousands of levels deep instead of overflowing the stack', () => {
    const json = new ConfigDocument('deep.json', '['.repeat(5000) + ']'.repeat(5000), 'json');
    assert.equal(json.root, undefined);
    assert.match(json.problems[0].message, /nested more than 100 levels deep/);
    const yaml = new ConfigDocument('deep.yaml', '['.repeat(5000) + ']'.repeat(5000), 'yaml');
    assert.equal(yaml.root, undefined);
    assert.equal(yaml.problems.length > 0, true);
  });
});
