// LOAD015 in notebooks, through the real analyzer: the kernel keeps the frame across the session's
// experiments, so a CSV read is paid once and nothing is reported; the same code in a script is (LOAD015's docs).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze, analyzeNotebookCells } from '../../src/analyzers';

const CELLS = [
  'import pandas as pd\nfrom sklearn.linear_model import LogisticRegression',
  'df = pd.read_csv("exports/transactions_2024.csv")',
  'LogisticRegression().fit(df.drop(columns=["fraud"]), df["fraud"])',
];

describe('LOAD015 in notebooks', () => {
  it('reports the read in a script but not in a notebook', async () => {
    const script = await analyze('train.py', CELLS.join('\n'));
    assert.equal(script.findings.filter((f) => f.code === 'LOAD015').length, 1);
    const nb = await analyzeNotebookCells('explore.ipynb', CELLS.map((source) => ({ kind: 'code' as const, source })));
    assert.deepEqual(nb.findings.filter((f) => f.code === 'LOAD015'), []);
  });
});
