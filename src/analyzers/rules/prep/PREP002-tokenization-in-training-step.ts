import { calledMethod, contains, dottedName, field, nodeRange, parentOf, type Node } from '../../engine/syntax';
import { assignmentsTo } from '../../python/bindings';
import { arg, argValue, collateFunction, dataLoaderUses } from '../../python/dataloaders';
import { tokenizerCall, tokenizerCallsIn, type TokenizerCall } from '../../python/huggingface';
import type { PythonModule } from '../../python/module';
import { hotLoops, stepFunctions } from '../../python/training';
import { defineRule } from '../rule';

const ADVICE = 'Tokenize the dataset once with datasets.map(..., batched=True) and pad per batch with DataCollatorWithPadding.';

export default defineRule({
  code: 'PREP002',
  name: 'tokenization-in-training-step',
  family: 'PREP',
  severity: 'warning',
  confidence: 'medium',
  fix: 'none',
  skipTestFiles: true,
  messages: {
    tokenizesPerStep: `{{tokenizer}} tokenizes text {{where}}, so the same texts are re-tokenized every step of every epoch. ${ADVICE}`,
  },
  docs: `## What it does
Finds calls to a Hugging Face tokenizer (\`tok(...)\`, \`tok.encode(...)\`, \`tok.encode_plus(...)\`,
\`tok.batch_encode_plus(...)\`) that run once per training step: in the body of a training loop (one that calls
\`backward()\` and \`step()\`), in a Lightning \`training_step\` or an overridden Hugging Face \`compute_loss\`, in a
function those call, or in the \`collate_fn\` of a training \`DataLoader\` that has no worker processes. The tokenizer must
come from \`AutoTokenizer.from_pretrained\`, a \`*Tokenizer*.from_pretrained\` or a \`*TokenizerFast(...)\` constructor.

## Why is this bad?
The same texts are tokenized again on every step of every epoch, in the main process, while the accelerator waits.
Hugging Face: "the 🤗 Tokenizers library works faster with batches because it parallelizes the tokenization of all
the examples in a batch", and the Hugging Face TRL maintainers found batched Rust tokenization with \`datasets.map\`
"typically 3-5x faster". Tokenizing once also lets \`datasets\` cache the result on disk for the next run.

Tokenizing text that the model generated in the same step (RL fine-tuning, self-training) cannot be done ahead of
time and is not reported; neither is a \`collate_fn\` that runs in worker processes.

## Example
\`\`\`python
from transformers import AutoTokenizer

tok = AutoTokenizer.from_pretrained("bert-base-uncased")

def train(model, loader, opt):
    for texts, labels in loader:
        enc = tok(texts, padding=True, truncation=True, return_tensors="pt")
        loss = model(**enc, labels=labels).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
\`\`\`

## Use instead
\`\`\`python
from datasets import load_dataset
from torch.utils.data import DataLoader
from transformers import AutoTokenizer, DataCollatorWithPadding

tok = AutoTokenizer.from_pretrained("bert-base-uncased")
ds = load_dataset("imdb", split="train")
ds = ds.map(lambda b: tok(b["text"], truncation=True), batched=True, remove_columns=["text"])

def train(model, opt):
    loader = DataLoader(ds, batch_size=32, collate_fn=DataCollatorWithPadding(tok), num_workers=4)
    for batch in loader:
        loss = model(**batch).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
\`\`\`

## Fix safety
There is no automatic fix: moving tokenization out of the loop changes the dataset, the collate function and the
batch format. Tokenize once with \`ds.map(lambda b: tok(b["text"], truncation=True), batched=True,
num_proc=os.cpu_count(), remove_columns=["text"])\`, then use \`DataCollatorWithPadding(tok)\` for dynamic padding.

## References
- Hugging Face Datasets, "Batch mapping": https://huggingface.co/docs/datasets/about_map_batch
- Hugging Face Datasets, "Process text data": https://huggingface.co/docs/datasets/nlp_process
- Hugging Face TRL, batched tokenization with datasets.map: https://github.com/huggingface/trl/pull/1624
`,

  checkPython(module, reporter) {
    // Tokenizer provenance needs a transformers/tokenizers import; skip the loop analysis without one.
    if (!module.importsAny('transformers', 'tokenizers')) return;
    const seen = new Set<number>();
    const report = (t: TokenizerCall, where: string, related?: { node: Node; message: string }) => {
      if (seen.has(t.call.id)) return;
      seen.add(t.call.id);
      const what = t.form === 'call' ? `${t.receiver.text}(...)` : `${t.receiver.text}.${t.form}(...)`;
      reporter.report({
        range: nodeRange(field(t.call, 'function')!),
        messageId: 'tokenizesPerStep',
        data: { tokenizer: what, where },
        related: related ? [{ range: nodeRange(related.node), message: related.message }] : [],
      });
    };

    // In a training loop body or a training_step / compute_loss method, and one level into local helpers.
    const hotBodies = [...hotLoops(module), ...stepFunctions(module)].map((n) => field(n, 'body')).filter((b): b is Node => b !== undefined);
    const hotCalls = new Map<number, Node>();
    for (const body of hotBodies) for (const c of module.callsInside(body)) hotCalls.set(c.id, c);
    for (const call of hotCalls.values()) {
      if (underIntervalGuard(call)) continue;
      const t = tokenizerCall(module, call);
      if (t) {
        if (!tokenizesGeneratedText(module, t)) report(t, 'on every training step');
        continue;
      }
      const target = module.localCallTarget(call);
      const body = target && field(target, 'body');
      if (!body || contains(body, call)) continue;
      for (const inner of tokenizerCallsIn(module, body)) {
        if (!tokenizesGeneratedText(module, inner)) {
          report(inner, `in ${module.functionName(target)}(), which the training step calls`, { node: call, message: 'called on every training step here' });
        }
      }
    }

    // In the collate_fn of a training DataLoader that collates in the main process.
    for (const use of dataLoaderUses(module)) {
      if (use.role !== 'train') continue;
      const workers = argValue(arg(use, 'num_workers'));
      if (workers !== 'absent' && workers !== 0) continue;
      const fn = collateFunction(module, use);
      const fnBody = fn && field(fn.node, 'body');
      if (!fn || !fnBody) continue;
      for (const t of tokenizerCallsIn(module, fnBody, fn.extra)) {
        report(t, 'in the collate_fn of a training DataLoader with 0 workers (in the main process, every step)', {
          node: use.call,
          message: 'DataLoader without worker processes',
        });
      }
    }
  },
});

/**
 * Tokenizing a fixed prompt every N steps to sample or log (`if step % 500 == 0:`) is not per-step work
 * (docs/analysis.md, trap 3 makes the same exception for `.item()`).
 */
function underIntervalGuard(node: Node): boolean {
  for (let p = parentOf(node); p; p = parentOf(p)) {
    if (p.type === 'for_statement' || p.type === 'while_statement' || p.type === 'function_definition') return false;
    if (p.type === 'if_statement' || p.type === 'elif_clause') {
      const condition = field(p, 'condition')?.text ?? '';
      if (/%|\b(log|logging|sample|eval|debug|verbose)/i.test(condition)) return true;
    }
  }
  return false;
}

/**
 * RL and self-training loops tokenize what the model just generated: that text does not exist before the step.
 * True when an argument of the tokenizer call is (derived from) a name assigned in the same loop from
 * `generate`/`decode`/`batch_decode` or from a model call.
 */
function tokenizesGeneratedText(module: PythonModule, t: TokenizerCall): boolean {
  const scope = module.enclosingLoop(t.call) ?? module.enclosingFunction(t.call);
  if (!scope) return false;
  const args = field(t.call, 'arguments');
  if (!args) return false;
  const names = new Set<string>();
  const collect = (n: Node) => {
    if (n.type === 'identifier') names.add(n.text);
    for (const c of n.namedChildren) if (c) collect(c);
  };
  collect(args);
  for (const name of names) {
    for (const b of assignmentsTo(module, name)) {
      if (!contains(scope, b.assignment)) continue;
      const right = field(b.assignment, 'right');
      if (!right) continue;
      const generated = module.callsInside(right).some((c) => {
        const m = calledMethod(c);
        const fn = field(c, 'function');
        const head = fn ? dottedName(fn) : undefined;
        return m === 'generate' || m === 'decode' || m === 'batch_decode' || (head !== undefined && /(^|\.)(model|policy|generator|actor)$/.test(head));
      });
      if (generated) return true;
    }
  }
  return false;
}
