// Why LOAD001's fix is unsafe for a dataset it cannot resolve (issue 10, item 5), measured with real
// PyTorch: a factory function returns an IterableDataset; with the fix's workers, every worker replays
// the whole stream and training sees each sample once per worker.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { analyze } from '../../src/analyzers';
import { fixUntilStable } from '../../src/analyzers/engine/fix-engine';

const SCRIPT = [
  'import torch',
  'from torch.utils.data import DataLoader, IterableDataset',
  '',
  'class Stream(IterableDataset):',
  '    def __iter__(self):',
  '        return iter(torch.arange(16, dtype=torch.float32).view(16, 1))',
  '',
  'def make_dataset():',
  '    return Stream()',
  '',
  'def train(model, opt):',
  '    loader = DataLoader(make_dataset(), batch_size=1)',
  '    seen = 0',
  '    for x in loader:',
  '        opt.zero_grad()',
  '        model(x).sum().backward()',
  '        opt.step()',
  '        seen += 1',
  '    print(seen)',
  '',
  'if __name__ == "__main__":',
  '    model = torch.nn.Linear(1, 1)',
  '    train(model, torch.optim.SGD(model.parameters(), lr=0.1))',
  '',
].join('\n');

it('LOAD001 offers its worker fix as unsafe for a factory-made dataset, which with workers would train on each sample once per worker', async () => {
  const result = await analyze('train.py', SCRIPT, {});
  result.tree?.delete();
  const finding = result.findings.find((f) => f.code === 'LOAD001');
  assert.ok(finding, 'LOAD001 reports the loader');
  assert.equal(finding.fixes[0].safe, false);
  const safeOnly = await fixUntilStable(SCRIPT, (t) => analyze('train.py', t, {}));
  assert.equal(safeOnly.text, SCRIPT, '--fix leaves it alone');
  // Applied anyway (as the unsafe fix would be), with 2 workers instead of the cpu count.
  const forced = await fixUntilStable(SCRIPT, (t) => analyze('train.py', t, { select: ['LOAD001'] }), { safeOnly: false });
  const withWorkers = forced.text.replace('min(8, os.cpu_count() or 1)', '2');
  assert.match(withWorkers, /num_workers=2/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-load001-'));
  const run = (text: string) => {
    fs.writeFileSync(path.join(dir, 'train.py'), text);
    return Number(execFileSync('/usr/bin/python3', [path.join(dir, 'train.py')], { encoding: 'utf8', timeout: 120_000 }).trim());
  };
  assert.equal(run(SCRIPT), 16);
  assert.equal(run(withWorkers), 32, 'each of the 2 workers replays the 16 samples');
});
