// Loops that stop after a handful of steps on purpose (`if i == 3: break`): a timing demo that compares devices on a
// few batches, a smoke test of a training step. They run too few steps for per-run set-up (the cuDNN autotuner's
// benchmarking, see the LOOP009 docs) to pay off, and they are not the training the module is about.
import { calledMethod, field, literalValue, namedChildren, unwrap, type Node } from '../engine/syntax';
import { descendantsOfType } from './bindings';

/** At most this many steps: a demo or a smoke test, not training. */
export const FEW_STEPS = 10;

/**
 * The loop's body leaves it once a step counter reaches a small literal: `if ii == 3: break` (also `>=`, `>`) on the
 * `enumerate` index of the loop, or on a counter the body increments (`steps += 1`).
 */
export function stopsAfterFewSteps(loop: Node): boolean {
  const body = field(loop, 'body');
  if (!body) return false;
  const counters = stepCounters(loop, body);
  if (counters.size === 0) return false;
  return namedChildren(body).some((s) => {
    if (s.type !== 'if_statement') return false;
    const consequence = field(s, 'consequence');
    const breaks = !!consequence && namedChildren(consequence).some((c) => c.type === 'break_statement');
    return breaks && comparesCounter(field(s, 'condition'), counters);
  });
}

function stepCounters(loop: Node, body: Node): Set<string> {
  const out = new Set<string>();
  // `for i, batch in enumerate(loader)`: the index.
  const right = field(loop, 'right');
  const left = field(loop, 'left');
  if (right && left && unwrap(right).type === 'call' && field(unwrap(right), 'function')?.text === 'enumerate' && calledMethod(unwrap(right)) === undefined) {
    const first = left.type === 'identifier' ? undefined : namedChildren(left)[0];
    if (first?.type === 'identifier') out.add(first.text);
  }
  // `steps += 1` in the body.
  for (const a of descendantsOfType(body, 'augmented_assignment')) {
    const target = field(a, 'left');
    if (target?.type === 'identifier' && a.text.includes('+=') && literalValue(field(a, 'right')) === 1) out.add(target.text);
  }
  return out;
}

function comparesCounter(condition: Node | undefined, counters: ReadonlySet<string>): boolean {
  const c = condition && unwrap(condition);
  if (!c || c.type !== 'comparison_operator') return false;
  const operands = namedChildren(c);
  if (operands.length !== 2) return false;
  const operator = c.text.slice(operands[0].endIndex - c.startIndex, operands[1].startIndex - c.startIndex).trim();
  const limit = literalValue(operands[1]);
  return operands[0].type === 'identifier' && counters.has(operands[0].text) && /^(==|>=|>)$/.test(operator) && typeof limit === 'number' && limit <= FEW_STEPS;
}
