// Activation cost as VS Code sees it: the extension logs how long activate() took; the figure is printed
// for scripts/bench-lint.mjs (the budget is checked there, not asserted here).
import assert from 'node:assert/strict';
import { api } from './helpers';

describe('activation', () => {
  it('activates and reports its activation time', async () => {
    const ext = await api();
    const line = ext.logLines().find((l) => /activated in [\d.]+ ms/.test(l));
    assert.ok(line, 'no activation line in the log');
    console.log(`activation: ${/activated in ([\d.]+) ms/.exec(line)![1]} ms`);
  });
});
