// The layering under the rules (issue 9): python/module.ts is the syntax index; what trains where is
// python/training.ts; derived facts are typed per-module caches (python/facts.ts), not string memo keys;
// and what an expression holds is followed by the semantic layer (python/provenance.ts and its
// neighbours), not by recursions private to a rule.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import * as ts from 'typescript';
import { PythonModule } from '../../src/analyzers/python/module';

const ROOT = path.resolve(__dirname, '../../..');

function sources(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(dir, f).split(path.sep).join('/'));
}

const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');
const importsOf = (file: string) => [...read(file).matchAll(/^import[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]);

const TRAINING_FACTS = ['hotLoops', 'epochLoops', 'stepLoops', 'stepFunctions', 'inHotRegion'];

describe('semantic layer', () => {
  it('python/module.ts is the syntax index: it imports nothing from the layers built on it', () => {
    const ours = importsOf('src/analyzers/python/module.ts').filter((i) => i.startsWith('./'));
    assert.deepEqual(ours, []);
  });

  it('the training structure comes from python/training.ts: not from PythonModule, not from a copy in a rule', () => {
    const members = Object.getOwnPropertyNames(PythonModule.prototype);
    assert.deepEqual(members.filter((m) => TRAINING_FACTS.includes(m)), []);
    const defines = new RegExp(`\\b(?:function|const|let)\\s+(${TRAINING_FACTS.join('|')})\\b`);
    const definers = sources('src/analyzers/rules').filter((f) => defines.test(read(f)));
    assert.deepEqual(definers, []);
    // Every file that calls one imports it from python/training.ts.
    const calls = new RegExp(`(?<![\\w.])(${TRAINING_FACTS.join('|')})\\(`);
    const strays = sources('src/analyzers').filter((f) => f !== 'src/analyzers/python/training.ts' && calls.test(read(f)) && !importsOf(f).some((i) => /(^|\/)training$/.test(i)));
    assert.deepEqual(strays, []);
  });

  it('derived facts are typed per-module caches, not string memo keys', () => {
    assert.equal('memo' in PythonModule.prototype, false);
    const offenders = [...sources('src/analyzers'), ...sources('test')].filter((f) => /\.memo\(/.test(read(f)));
    assert.deepEqual(offenders, []);
  });

  it('no rule follows bindings in a recursion of its own (the list of those not yet moved only shrinks)', () => {
    // A function that calls itself and follows names to their values: that is python/provenance.ts's job
    // (origin, everyValue) or another fact of python/. These are the ones still to move.
    const NOT_YET_MOVED = [
      'eval/EVAL005-fitted-preprocessing-not-saved.ts isPreprocessing',
      'eval/EVAL005-fitted-preprocessing-not-saved.ts pipelineWithPreprocessing',
      'hw/HW002-fp16-without-grad-scaler.ts dtypeOf',
      'load/LOAD001-sync-dataloader.ts follow',
      'load/LOAD007-item-io-main-process.ts constructs',
      'load/LOAD010-sequential-file-reads.ts fileCount',
      'prep/PREP004-unhashable-map-function.ts datasetViaCallers',
      'prep/PREP008-python-loop-over-tensor.ts tensorFramework',
      'prep/tfdata-maps.ts chainSteps',
      'stop/STOP002-early-stopping-metric-never-logged.ts loggedKeys',
    ];
    const found = sources('src/analyzers/rules').flatMap((f) => recursiveBindingFollowers(f).map((name) => `${f.slice('src/analyzers/rules/'.length)} ${name}`));
    assert.deepEqual(found.sort(), NOT_YET_MOVED.sort());
  });
});

/** The semantic layer's ways to go from a name to what it holds. */
const FOLLOWS_BINDINGS = /\b(bindingsAt|assignmentsTo|bindingValue|previousValue|argumentsForParameter|callSitesOf|localClass|baseClasses)\b/;

/** Functions of a file that call themselves (directly, or from a function nested in them) and follow bindings. */
function recursiveBindingFollowers(file: string): string[] {
  const source = ts.createSourceFile(file, read(file), ts.ScriptTarget.Latest, true);
  const found = new Set<string>();
  const visit = (node: ts.Node, enclosing: Array<{ name: string; node: ts.Node }>): void => {
    let name: string | undefined;
    if (ts.isFunctionDeclaration(node) && node.name) name = node.name.text;
    else if ((ts.isArrowFunction(node) || ts.isFunctionExpression(node)) && ts.isVariableDeclaration(node.parent) && ts.isIdentifier(node.parent.name)) name = node.parent.name.text;
    const inside = name ? [...enclosing, { name, node }] : enclosing;
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression)) {
      const callee = node.expression.text;
      const fn = inside.find((f) => f.name === callee);
      if (fn && FOLLOWS_BINDINGS.test(fn.node.getText(source))) found.add(fn.name);
    }
    ts.forEachChild(node, (child) => visit(child, inside));
  };
  visit(source, []);
  return [...found];
}
