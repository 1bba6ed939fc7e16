import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers';
import { Suppressions } from '../../src/analyzers/engine/suppressions';

const at = (code: string, line: number, endLine = line) => ({ code, range: { start: { line, character: 0 }, end: { line: endLine, character: 1 } } });

describe('suppression comments', () => {
  it('silences listed codes on the line, all codes with a bare ignore, and file-wide codes', () => {
    const s = new Suppressions(['a  # pipeline-doctor: ignore[LOAD001, load005]', 'b  # pipeline-doctor: ignore', 'c', '# pipeline-doctor: ignore-file[STOP003]'].join('\n'));
    assert.equal(s.isSuppressed(at('LOAD001', 0)), true);
    assert.equal(s.isSuppressed(at('LOAD005', 0)), true);
    assert.equal(s.isSuppressed(at('LOAD004', 0)), false);
    assert.equal(s.isSuppressed(at('PREP001', 1)), true);
    assert.equal(s.isSuppressed(at('LOAD001', 2)), false);
    assert.equal(s.isSuppressed(at('STOP003', 2)), true);
    // A multi-line finding may be silenced on its last line.
    assert.equal(s.isSuppressed(at('LOAD001', 2, 0)), true);
  });

  it('applies to real findings end to end', async () => {
    const src = [
      'from torch.utils.data import DataLoader',
      'def train(ds, model, opt):',
      '    loader = DataLoader(ds, batch_size=8)  # pipeline-doctor: ignore[LOAD001]',
      '    for b in loader:',
      '        opt.zero_grad()',
      '        model(b).backward()',
      '        opt.step()',
    ].join('\n');
    const { findings } = await analyze('train.py', src, { select: ['LOAD001'] });
    assert.deepEqual(findings, []);
    const unsuppressed = await analyze('train.py', src.replace('  # pipeline-doctor: ignore[LOAD001]', ''), { select: ['LOAD001'] });
    assert.equal(unsuppressed.findings.length, 1);
  });
});
