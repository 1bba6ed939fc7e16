import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { argument, callArguments } from '../../src/analyzers/engine/calls';
import { literalValue } from '../../src/analyzers/engine/syntax';
import { moduleOf } from '../helpers/python';

async function lookup(call: string, name: string, slot?: number) {
  const m = await moduleOf(call);
  const r = argument(callArguments(m.calls[0]), name, slot);
  return r.kind === 'present' ? { kind: r.kind, value: literalValue(r.node), keyword: r.keyword } : r;
}

describe('call-argument matching', () => {
  it('finds an argument by keyword or by its positional slot', async () => {
    assert.deepEqual(await lookup('DataLoader(ds, 32, True, None, None, 4)', 'num_workers', 5), { kind: 'present', value: 4, keyword: false });
    assert.deepEqual(await lookup('DataLoader(ds, num_workers=0)', 'num_workers', 5), { kind: 'present', value: 0, keyword: true });
    assert.deepEqual(await lookup('DataLoader(ds, 32)', 'num_workers', 5), { kind: 'absent' });
  });

  it('treats **kwargs and *args that may hold the argument as unknown', async () => {
    assert.deepEqual(await lookup('DataLoader(ds, **cfg)', 'num_workers', 5), { kind: 'unknown' });
    assert.deepEqual(await lookup('DataLoader(ds, *rest)', 'num_workers', 5), { kind: 'unknown' });
    // A keyword given explicitly wins over **kwargs.
    assert.deepEqual(await lookup('DataLoader(ds, num_workers=2, **cfg)', 'num_workers', 5), { kind: 'present', value: 2, keyword: true });
    // *args after the slot cannot hold it.
    assert.deepEqual(await lookup('f(a, 7, *rest)', 'x', 1), { kind: 'present', value: 7, keyword: false });
  });

  it('reads literals: negative numbers, booleans, None, strings; not f-strings or names', async () => {
    const values = async (src: string) => {
      const m = await moduleOf(src);
      return callArguments(m.calls[0]).positional.map((n) => literalValue(n));
    };
    const NOT = literalValue(undefined);
    assert.deepEqual(await values('f(-1, 1_000, 2.5, True, False, None, "s", f"{x}", x, (3))'), [-1, 1000, 2.5, true, false, null, 's', NOT, NOT, 3]);
  });
});
