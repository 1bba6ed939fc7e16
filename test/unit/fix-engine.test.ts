// The fix engine with the real analyzer: counts what it applied, frees every parse tree, and stops with
// a notice (never a silent loop, never a broken file) when fixes do not converge or break the syntax.
// The misbehaving fixes are added to real findings, as a buggy rule would report them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze, analyzeNotebookCells, type AnalysisResult } from '../../src/analyzers';
import { fixCellsUntilStable, fixUntilStable } from '../../src/analyzers/engine/fix-engine';
import type { Finding } from '../../src/shared/findings';

const SCRIPT = [
  'from torch.utils.data import DataLoader, Subset',
  'def train(x, y, model, opt):',
  '    loader = DataLoader(Subset(x, range(64)), batch_size=8)',
  '    evaluation = DataLoader(Subset(x, range(8)), batch_size=8, num_workers=0)',
  '    for b in loader:',
  '        opt.zero_grad()',
  '        model(b).backward()',
  '        opt.step()',
  '    model.evaluate(evaluation)',
  '',
].join('\n');

const real = (text: string) => analyze('train.py', text, {});

function buggy(newText: string, range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }): Finding {
  return { code: 'TEST001', severity: 'warning', message: 'buggy', file: 'train.py', range, related: [], origin: 'static', fixes: [{ title: 'bug', safe: true, edits: [{ range, newText }] }] };
}

describe('fixUntilStable', () => {
  it('applies every safe fix, counts fixes applied (not offered), and frees each parse tree', async () => {
    const offered = (await real(SCRIPT)).findings.filter((f) => f.fixes.some((x) => x.safe)).length;
    assert.equal(offered, 2);
    const trees: Array<{ deleted: boolean }> = [];
    const analyzeTracked = async (text: string): Promise<AnalysisResult> => {
      const result = await real(text);
      const tree = result.tree!;
      const record = { deleted: false };
      trees.push(record);
      const del = tree.delete.bind(tree);
      tree.delete = () => {
        record.deleted = true;
        del();
      };
      return result;
    };
    const out = await fixUntilStable(SCRIPT, analyzeTracked);
    assert.equal(out.fixed, 2);
    assert.equal(out.text.match(/^import os$/gm)?.length, 1, 'the shared `import os` is added once');
    assert.deepEqual(out.notices, []);
    assert.equal(out.result.findings.filter((f) => f.fixes.some((x) => x.safe)).length, 0);
    assert.ok(!('tree' in out.result));
    assert.ok(trees.length >= 2 && trees.every((t) => t.deleted), `${trees.filter((t) => !t.deleted).length} of ${trees.length} trees not deleted`);
    const again = await fixUntilStable(out.text, real);
    assert.equal(again.fixed, 0);
    assert.equal(again.text, out.text);
  });

  it('keeps the original text and says so when the fixes do not converge', async () => {
    // A fix that is offered again after every application (it inserts a line each time).
    const out = await fixUntilStable(SCRIPT, async (text) => {
      const result = await real(text);
      return { ...result, findings: [...result.findings, buggy('# again\n')] };
    }, { maxPasses: 4 });
    assert.equal(out.text, SCRIPT);
    assert.equal(out.fixed, 0);
    assert.equal(out.notices.length, 1);
    assert.match(out.notices[0].message, /did not converge after 4 passes \(TEST001 still offered\)/);
    assert.equal(out.notices[0].level, 'error');
  });

  it('keeps the last text that parsed when a fix breaks the syntax', async () => {
    let first = true;
    const out = await fixUntilStable(SCRIPT, async (text) => {
      const result = await real(text);
      // After the real fixes pass, a fix that deletes the closing parenthesis of line 3.
      if (!first && !text.includes('def train(x, y, model, opt:')) {
        const line = text.split('\n').findIndex((l) => l.startsWith('def train('));
        const at = text.split('\n')[line].indexOf(')');
        return { ...result, findings: [...result.findings, buggy('', { start: { line, character: at }, end: { line, character: at + 1 } })] };
      }
      first = false;
      return result;
    });
    assert.equal(out.fixed, 2);
    assert.match(out.text, /^import os$/m);
    assert.match(out.text, /def train\(x, y, model, opt\):/);
    assert.match(out.notices[0].message, /the fixes of TEST001 would leave a syntax error .*; kept the text before them/);
  });

  it('does not fix a text that does not parse', async () => {
    const broken = SCRIPT + 'def oops(:\n';
    const out = await fixUntilStable(broken, real);
    assert.equal(out.text, broken);
    assert.match(out.notices[0].message, /^not fixed: syntax error at line 10; fixes apply to code that parses$/);
  });
});

describe('fixCellsUntilStable', () => {
  it('fixes the cells of a notebook together (one fix edits two cells)', async () => {
    const cells = ['from torch.utils.data import DataLoader, Subset', SCRIPT.split('\n').slice(1).join('\n'), '# notes'];
    const kinds = ['code', 'code', 'markdown'] as const;
    const out = await fixCellsUntilStable(cells, (sources) => analyzeNotebookCells('nb.ipynb', sources.map((source, i) => ({ kind: kinds[i], source }))));
    assert.equal(out.fixed, 2);
    assert.equal(out.cells[0], 'import os\n\nfrom torch.utils.data import DataLoader, Subset');
    assert.match(out.cells[1], /batch_size=8,\n        num_workers=min\(8, os\.cpu_count\(\) or 1\),\n        persistent_workers=True,\n    \)/);
    assert.equal(out.cells[2], '# notes');
  });
});
