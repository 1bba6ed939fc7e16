// Facts the LOOP rules share: does the module run on an accelerator at all (CPU-only code never syncs
// with a device, docs/analysis.md, trap 3; the answer is python/accelerator.ts), which loops run once per step, and whether a statement is guarded
// by a logging interval. Each is computed once per module.
import type { Edit } from '../../../shared/findings';
import { calledMethod, contains, field, namedChildren, parentOf, textOf, type Node } from '../../engine/syntax';
import { callGraph, underIntervalGuard } from '../../python/callgraph';
import { ModuleFact } from '../../python/facts';
import type { PythonModule } from '../../python/module';

/** Local functions that run on every training step (the call graph), with the call in the step loop that runs them. */
export function perStepHelpers(module: PythonModule): Map<number, { fn: Node; callSite: Node }> {
  return callGraph(module).perStep;
}

export { underIntervalGuard };

const torchNameCache = new ModuleFact<string | undefined>();

/** The local name `torch` is bound to (`torch`, or an alias), if the module imports it as a module. */
export function torchModuleName(module: PythonModule): string | undefined {
  return torchNameCache.get(module, () => {
    for (const [local, qualified] of module.imports.localNames()) if (qualified === 'torch') return local;
    return undefined;
  });
}

/** Method calls by name, for several names, in document order. */
export function methodCallsNamed(module: PythonModule, names: readonly string[]): Node[] {
  return names.flatMap((n) => module.methodCalls(n)).sort((a, b) => a.startIndex - b.startIndex);
}

/** The `.backward()` calls of a loss tensor (not `engine.backward(loss)` or `accelerator.backward(loss)`). */
export function isTensorBackward(call: Node): boolean {
  if (calledMethod(call) !== 'backward') return false;
  const args = field(call, 'arguments');
  // `loss.backward()` / `loss.backward(retain_graph=True)`: no positional tensor argument.
  return !args || namedChildren(args).every((a) => a.type === 'keyword_argument' || a.type === 'comment');
}

/** Deletes a statement that sits alone on its line(s), keeping a trailing comment; `pass` when it is a block's only statement. */
export function deleteStatement(module: PythonModule, stmt: Node): Edit {
  const block = parentOf(stmt);
  const siblings = block ? namedChildren(block).filter((c) => c.type !== 'comment') : [];
  const start = { line: stmt.startPosition.row, character: stmt.startPosition.column };
  const end = { line: stmt.endPosition.row, character: stmt.endPosition.column };
  if (block?.type === 'block' && siblings.length === 1) return { range: { start, end }, newText: 'pass' };
  const lineText = module.lines.lineText(stmt.endPosition.row);
  const rest = lineText.slice(stmt.endPosition.column);
  const before = module.lines.lineText(stmt.startPosition.row).slice(0, stmt.startPosition.column);
  if (rest.trim() === '' && before.trim() === '') {
    // The whole line(s) go, line break included.
    const last = end.line + 1 >= module.lines.lineCount;
    const to = last ? { line: end.line, character: lineText.length } : { line: end.line + 1, character: 0 };
    return { range: { start: { line: start.line, character: 0 }, end: to }, newText: '' };
  }
  if (before.trim() === '' && /^\s*#/.test(rest)) {
    // Keep the trailing comment where the statement was.
    const ws = /^\s*/.exec(rest)![0].length;
    return { range: { start, end: { line: end.line, character: end.character + ws } }, newText: '' };
  }
  return { range: { start, end }, newText: 'pass' };
}
