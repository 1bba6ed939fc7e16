// bench:real's judging (test/real/bench-lib.ts) on a tiny manifest against a real git repository, linted by
// the real CLI in a subprocess at the labelled commit.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { benchRepo, findMirror, score, slice, familyOf, type Manifest } from '../real/bench-lib';

const CLI = path.resolve(__dirname, '../../src/cli.js');

// Images decoded per item: the training loader's LOAD001 is a warning (over tensors in memory it is info).
const TRAIN = `import torch, torchvision
from torch.utils.data import DataLoader

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
model = torch.nn.Linear(8, 1).to(device)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
ds = torchvision.datasets.ImageFolder("data/train", transform=torchvision.transforms.ToTensor())
loader = DataLoader(ds, batch_size=16, shuffle=True)
for epoch in range(3):
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        loss = torch.nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        print(loss.item())
`;

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'init.defaultBranch=main', ...args], { cwd: dir, encoding: 'utf8' }).trim();
}

/** A mirror folder holding acme+demo/repo (a working clone): the labelled commit, then one that deletes the script. */
function mirrorDir(): { dir: string; commit: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-mirrors-'));
  const repo = path.join(dir, 'acme+demo', 'repo');
  fs.mkdirSync(path.join(repo, 'b'), { recursive: true });
  fs.writeFileSync(path.join(repo, 'train.py'), TRAIN);
  fs.writeFileSync(path.join(repo, 'b', 'train.py'), TRAIN);
  fs.writeFileSync(path.join(repo, 'util.py'), 'def add(a, b):\n    return a + b\n');
  git(repo, 'init', '-q');
  git(repo, 'add', '.');
  git(repo, 'commit', '-qm', 'labelled');
  const commit = git(repo, 'rev-parse', 'HEAD');
  fs.rmSync(path.join(repo, 'train.py'));
  git(repo, 'commit', '-qam', 'later');
  return { dir, commit };
}

describe('bench:real judging', () => {
  it('materialises the labelled commit, lints it with the CLI and counts right, wrong, unjudged and missed', () => {
    const { dir, commit } = mirrorDir();
    try {
      assert.equal(findMirror([path.join(dir, 'nowhere'), dir], 'acme/demo'), path.join(dir, 'acme+demo', 'repo', '.git'));
      assert.equal(findMirror([dir], 'acme/other'), undefined);
      const manifest: Manifest = {
        repo: 'acme/demo',
        commit,
        files: [
          {
            path: 'train.py',
            labels: [
              { code: 'LOAD001', line: 8, label: 'expect', severity: 'warning', why: 'training loader in the main process' },
              { code: 'LOOP001', line: 16, label: 'expect', severity: 'info', why: 'tiny demo: a sync per step matters little' },
              { code: 'LOAD002', line: 8, label: 'ok', why: 'CPU-sized data' },
              { code: 'HW001', line: 9, endLine: 16, label: 'expect', severity: 'info', why: 'FP32 on CUDA' },
              { code: 'LOOP004', line: 13, label: 'maybe', why: 'excluded' },
            ],
          },
          { path: 'b/train.py', labels: [{ code: 'LOAD001', line: 6, endLine: 8, label: 'expect', severity: 'warning', why: 'same' }] },
          { path: 'util.py', labels: [] },
        ],
      };
      const { judgement, missingFiles } = benchRepo(manifest, findMirror([dir], 'acme/demo')!, CLI);
      assert.deepEqual(missingFiles, []);
      const found = judgement.findings.map((f) => `${f.path}:${f.line} ${f.code} ${f.severity} ${f.serious ?? '-'} ${f.all}`).sort();
      assert.deepEqual(found, [
        'b/train.py:16 LOOP001 warning unjudged unjudged',
        'b/train.py:8 LOAD001 warning right right',
        'b/train.py:8 LOAD002 info - unjudged',
        'train.py:16 LOOP001 warning wrong right',
        'train.py:8 LOAD001 warning right right',
        'train.py:8 LOAD002 info - wrong',
      ]);
      const s = score(judgement);
      assert.deepEqual(
        [s.seriousRight, s.seriousWrong, s.allRight, s.allWrong, s.unjudged, s.expects, s.found, s.seriousExpects, s.seriousFound],
        [2, 1, 3, 1, 2, 4, 3, 2, 2],
      );
      assert.equal(s.seriousPrecision, 2 / 3);
      assert.equal(s.allPrecision, 3 / 4);
      assert.equal(s.recall, 3 / 4);
      assert.deepEqual(judgement.expects.filter((e) => !e.found).map((e) => e.label.code), ['HW001']);
      const load = score(slice(judgement, (x) => familyOf(x.code) === 'LOAD'));
      assert.deepEqual([load.seriousRight, load.seriousWrong, load.allRight, load.allWrong, load.expects], [2, 0, 2, 1, 2]);
      const notebooks = score(slice(judgement, (x) => x.kind === 'notebook'));
      assert.equal(notebooks.expects + notebooks.allRight + notebooks.allWrong, 0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
