// The data probe's detectors in the real harness module with real torch (src/runner/python/pd_data_probe.py):
// the class-mix thresholds at their edges (docs/runtime-findings.md, RUN010), the batch walk's depth bound,
// and duplicates left unreported where the sampler repeats samples by design.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { before, it } from 'node:test';
import { PY, requireTorch } from './helpers';

const HARNESS = path.resolve(__dirname, '..', '..', '..', 'src', 'runner', 'python');

const PROGRAM = `
import json, torch
from torch.utils.data import DataLoader, TensorDataset, WeightedRandomSampler
import pd_data_probe as p

out = {}
def mix(counts, classes=None):
    r = p.class_mix("y", counts, classes)
    return None if r is None else [r["skewed"], r["missing"], r["missingClasses"], r["majorityShare"]]
out["skew90of100"] = mix({0: 90, 1: 10})
out["skew89of100"] = mix({0: 89, 1: 11})
out["skew95of99"] = mix({0: 95, 1: 4})
out["missing70for10"] = mix({c: 10 for c in range(7)}, 10)
out["missing105for10"] = mix({c: 15 for c in range(7)}, 10)
out["inferredGap"] = mix({0: 50, 2: 50})

deep = [[[[[torch.zeros(2)]]]], torch.ones(2)]
out["walk"] = [path for path, _ in p.leaves(torch, deep)]

class Channel:
    def __init__(self): self.events = []
    def emit(self, e): self.events.append(e)
def probe_of(loader):
    class St:
        id = 1
        ref = staticmethod(lambda: loader)
        dataset_ref = staticmethod(lambda: loader.dataset)
    ch = Channel()
    d = p.DataProbe(torch, ch)
    for i, batch in enumerate(loader):
        if i == 5: break
        d.observe(St, batch, 10)  # a warm-up of 10 steps: 5 probed batches
    d.finish()
    return ch.events[-1]
same = TensorDataset(torch.ones(400, 4), torch.zeros(400, dtype=torch.long))
weighted = DataLoader(same, batch_size=32, sampler=WeightedRandomSampler([1.0] * 400, 400))
ordered = DataLoader(same, batch_size=32)
out["weighted"] = [i["check"] for i in probe_of(weighted)["issues"]]
out["ordered"] = sorted(i["check"] for i in probe_of(ordered)["issues"])
print(json.dumps(out))
`;

before(requireTorch);

it('class mix, batch walk and duplicates: thresholds at their edges in the harness module', () => {
  const r = spawnSync(PY, ['-c', PROGRAM], { encoding: 'utf8', cwd: HARNESS, timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.deepEqual(out.skew90of100, [true, 0, [], 0.9], 'a 90% majority of 100 labels is skewed');
  assert.equal(out.skew89of100, null, '89% is not');
  assert.equal(out.skew95of99, null, '99 labels are too few to judge');
  assert.equal(out.missing70for10, null, 'fewer than 10 labels per declared class: no missing classes claimed');
  assert.deepEqual(out.missing105for10, [false, 3, [7, 8, 9], 0.1429]);
  assert.deepEqual(out.inferredGap, [false, 1, [1], 0.5], 'class 1 below the largest label 2 never appears');
  assert.deepEqual(out.walk, ['batch[1]'], 'a tensor 5 levels deep is past the walk\'s depth bound');
  // 400 identical samples: the float features are constant; a sampler with replacement repeats samples by design.
  assert.deepEqual(out.weighted, ['constant']);
  assert.deepEqual(out.ordered, ['constant', 'duplicates']);
});
