// What a rule is: metadata, Markdown docs, and checks for the front ends it understands.
import type { Confidence, FixSafety, Fix, RelatedLocation, Range, RuleFamily, Severity } from '../../shared/findings';
import type { ConfigDocument } from '../config/document';
import type { ConfigKind } from '../config/classify';
import type { PythonModule } from '../python/module';
import type { ProjectIndex } from '../workspace/project';

export interface RuleMeta<M extends string = string> {
  code: string;
  name: string;
  family: RuleFamily;
  /** Default severity; a finding may lower it (e.g. `info` for validation loaders), settings override both. */
  severity: Severity;
  confidence: Confidence;
  fix: FixSafety;
  /**
   * The advice only matters when training runs on a GPU or other accelerator (pin_memory, mixed precision,
   * TF32, host-device syncs): a profile run on the CPU leaves such findings out of its report.
   */
  requiresAccelerator?: boolean;
  /**
   * Not run on Python files that are tests, debug scripts or benchmarks (`isTestOrDebugPath`): zero
   * workers, FP32 and runs without early stopping are deliberate there. The engine applies it.
   */
  skipTestFiles?: boolean;
  /**
   * Everything the rule says, one template per distinct message (as ESLint's `meta.messages`): a report
   * names its `messageId` and fills the template's `{{name}}` placeholders from its `data`.
   */
  messages: Readonly<Record<M, string>>;
  /** Markdown with the sections What it does / Why is this bad? / Example / Use instead / Fix safety / References. */
  docs: string;
}

export interface Report<M extends string = string> {
  range: Range;
  /** A key of the rule's `messages`. */
  messageId: M;
  /** The values of the message's `{{name}}` placeholders. */
  data?: Readonly<Record<string, string | number>>;
  severity?: Severity;
  fixes?: Fix[];
  related?: RelatedLocation[];
}

export interface Reporter<M extends string = string> {
  report(r: Report<M>): void;
}

export interface ConfigContext {
  doc: ConfigDocument;
  kinds: ReadonlySet<ConfigKind>;
  /** Debug/test/smoke configs, where zero workers and missing callbacks are deliberate. */
  isDebugOrTest: boolean;
  /** The project's other files (config groups), when the caller analyses inside a workspace. */
  project?: ProjectIndex;
}

export interface Rule<M extends string = string> extends RuleMeta<M> {
  checkPython?(module: PythonModule, reporter: Reporter<M>): void;
  checkConfig?(config: ConfigContext, reporter: Reporter<M>): void;
}

/** Infers the rule's message ids from its `messages`, so its own checks can only report ids it declares. */
export function defineRule<M extends string>(rule: Rule<M>): Rule {
  return rule as Rule;
}
