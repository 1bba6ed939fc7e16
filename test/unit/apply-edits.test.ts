import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { applyEdits, mergeFixEdits, OverlappingEditsError } from '../../src/analyzers/engine/apply-edits';
import { appendArguments, ensureImport } from '../../src/analyzers/python/edits';
import { ProjectIndex } from '../../src/analyzers/workspace/project';
import { moduleOf } from '../helpers/python';

const pos = (line: number, character: number) => ({ line, character });

describe('applyEdits', () => {
  it('applies edits against the original text in any order, CRLF included', () => {
    const text = 'a = 1\r\nb = 2\r\n';
    const out = applyEdits(text, [
      { range: { start: pos(1, 4), end: pos(1, 5) }, newText: '3' },
      { range: { start: pos(0, 0), end: pos(0, 0) }, newText: 'import os\r\n' },
    ]);
    assert.equal(out, 'import os\r\na = 1\r\nb = 3\r\n');
  });

  it('rejects overlapping edits, and merges fixes keeping shared edits once', () => {
    const e = (s: number, en: number, t: string) => ({ range: { start: pos(0, s), end: pos(0, en) }, newText: t });
    assert.throws(() => applyEdits('abcdef', [e(0, 3, 'x'), e(2, 4, 'y')]), OverlappingEditsError);
    const merged = mergeFixEdits([[e(0, 1, 'A'), e(6, 6, '!')], [e(2, 3, 'C'), e(6, 6, '!')], [e(0, 2, 'clash')]], 'abcdef');
    assert.equal(applyEdits('abcdef', merged), 'AbCdef!');
  });
});

describe('Python edit builders', () => {
  it('appends arguments on one line, after a trailing comma, and in multi-line calls', async () => {
    const cases: Array<[string, string]> = [
      ['f(a)\n', 'f(a, x=1)\n'],
      ['f()\n', 'f(x=1)\n'],
      ['f(a,)\n', 'f(a, x=1,)\n'],
      ['f(\n    a,\n    b,\n)\n', 'f(\n    a,\n    b,\n    x=1,\n)\n'],
      ['f(\n    a,\n    b\n)\n', 'f(\n    a,\n    b,\n    x=1\n)\n'],
    ];
    for (const [src, want] of cases) {
      const m = await moduleOf(src);
      assert.equal(applyEdits(src, [appendArguments(m, m.calls[0], ['x=1'])]), want, src);
    }
  });

  it('puts an added import into its isort section, in name order, once', async () => {
    const cases: Array<[string, string, string]> = [
      // no standard-library section yet: a new one between __future__ and third-party, blank lines around
      ['"""Doc."""\nfrom __future__ import annotations\nimport torch\n\nx = 1\n', 'import os', '"""Doc."""\nfrom __future__ import annotations\nimport os\n\nimport torch\n\nx = 1\n'],
      // into the standard-library section in name order, not after the local imports
      ['import json\nimport sys\n\nimport torch\n\nfrom .data import load\n', 'import os', 'import json\nimport os\nimport sys\n\nimport torch\n\nfrom .data import load\n'],
      // plain imports before from-imports of the section
      ['import argparse\nfrom pathlib import Path\n\nimport torch\n', 'import os', 'import argparse\nimport os\nfrom pathlib import Path\n\nimport torch\n'],
      // a third-party import after the standard library, before local modules
      ['import os\n\nfrom .model import Net\n', 'import joblib', 'import os\n\nimport joblib\n\nfrom .model import Net\n'],
      ['import os\nimport numpy as np\nimport torch\n', 'import joblib', 'import os\nimport joblib\nimport numpy as np\nimport torch\n'],
      // joins an existing from-import of the same module
      ['from sklearn.model_selection import KFold, train_test_split\n', 'from sklearn.model_selection import StratifiedKFold', 'from sklearn.model_selection import KFold, StratifiedKFold, train_test_split\n'],
      // a section heading comment stays above its section; shebang and coding cookie stay first
      ['import sys\n\n# third party\nimport torch\n', 'import joblib', 'import sys\n\n# third party\nimport joblib\nimport torch\n'],
      ['"""Doc."""\n# third party\nimport torch\n', 'import os', '"""Doc."""\nimport os\n\n# third party\nimport torch\n'],
      // the comments that open a file are its header, not a section heading
      ['#!/usr/bin/env python\n# -*- coding: utf-8 -*-\n# Trains a net.\nimport torch\n', 'import os', '#!/usr/bin/env python\n# -*- coding: utf-8 -*-\n# Trains a net.\nimport os\n\nimport torch\n'],
      ['#!/usr/bin/env python\nx = 1\n', 'import os', '#!/usr/bin/env python\nimport os\n\nx = 1\n'],
      // CRLF files get CRLF
      ['import sys\r\nimport torch\r\n', 'import os', 'import os\r\nimport sys\r\nimport torch\r\n'],
    ];
    for (const [src, statement, want] of cases) {
      const m = await moduleOf(src);
      const name = /(\w+)$/.exec(statement)![1];
      assert.equal(applyEdits(src, [ensureImport(m, statement, name)!]), want, `${statement} into ${JSON.stringify(src)}`);
    }
    const has = await moduleOf('import os\nx = 1\n');
    assert.equal(ensureImport(has, 'import os', 'os'), undefined);
  });

  it('wraps a one-line call the new arguments push past the line length, as Black and Ruff lay it out', async () => {
    const cases: Array<[string, string[], string]> = [
      // fits on one indented line: hugged
      ['def f():\n    loader = DataLoader(dataset, batch_size=64, shuffle=True)\n', ['num_workers=8', 'pin_memory=True'],
        'def f():\n    loader = DataLoader(\n        dataset, batch_size=64, shuffle=True, num_workers=8, pin_memory=True\n    )\n'],
      // does not: one argument per line with a trailing comma; the comment after the call stays there
      ['loader = DataLoader(train_dataset, batch_size=64, shuffle=True, collate_fn=collate)  # train\n', ['num_workers=min(8, os.cpu_count() or 1)', 'persistent_workers=True'],
        'loader = DataLoader(\n    train_dataset,\n    batch_size=64,\n    shuffle=True,\n    collate_fn=collate,\n    num_workers=min(8, os.cpu_count() or 1),\n    persistent_workers=True,\n)  # train\n'],
      // still fits: unchanged style
      ['f(a)\n', ['x=1'], 'f(a, x=1)\n'],
    ];
    for (const [src, args, want] of cases) {
      const m = await moduleOf(src);
      assert.equal(applyEdits(src, [appendArguments(m, m.calls.find((c) => /^(DataLoader|f)\(/.test(c.text))!, args)]), want, src);
    }
  });

  it('takes the line length from the project\'s Ruff or Black settings, the closest first', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-line-length-'));
    fs.mkdirSync(path.join(dir, 'pkg/sub'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'pyproject.toml'), '[tool.black]\nline-length = 120\n');
    fs.writeFileSync(path.join(dir, 'pkg/ruff.toml'), 'line-length = 100\n');
    fs.writeFileSync(path.join(dir, 'pkg/sub/pyproject.toml'), '[tool.poetry]\nname = "x"\n');
    const index = new ProjectIndex(dir);
    assert.equal(index.lineLengthFor('train.py'), 120);
    assert.equal(index.lineLengthFor('pkg/sub/train.py'), 100, 'the closest Ruff configuration wins over a farther Black one');
    fs.writeFileSync(path.join(dir, 'pkg/sub/pyproject.toml'), '[tool.ruff]\nselect = ["E"]\n');
    assert.equal(new ProjectIndex(dir).lineLengthFor('pkg/sub/train.py'), 88, 'a Ruff table without line-length means Ruff\'s default');
    fs.writeFileSync(path.join(dir, 'pyproject.toml'), '[tool.black\nline-length = ');
    assert.equal(new ProjectIndex(dir).lineLengthFor('train.py'), 88, 'a malformed pyproject.toml falls back to the default');
    const none = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-line-length-none-'));
    assert.equal(new ProjectIndex(none).lineLengthFor('train.py'), 88);
  });
});
