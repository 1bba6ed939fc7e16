// What a rule is: metadata, Markdown docs, and checks for the front ends it understands.
import type { Confidence, FixSafety, Fix, RelatedLocation, Range, RuleFamily, Severity } from '../../shared/findings';
import type { ConfigDocument } from '../config/document';
import type { ConfigKind } from '../config/classify';
import type { PythonModule } from '../python/module';
import type { ProjectIndex } from '../workspace/project';

export interface RuleMeta {
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
  /** Markdown with the sections What it does / Why is this bad? / Example / Use instead / Fix safety / References. */
  docs: string;
}

export interface Report {
  range: Range;
  message: string;
  severity?: Severity;
  fixes?: Fix[];
  related?: RelatedLocation[];
}

export interface Reporter {
  report(r: Report): void;
}

export interface ConfigContext {
  doc: ConfigDocument;
  kinds: ReadonlySet<ConfigKind>;
  /** Debug/test/smoke configs, where zero workers and missing callbacks are deliberate. */
  isDebugOrTest: boolean;
  /** The project's other files (config groups), when the caller analyses inside a workspace. */
  project?: ProjectIndex;
}

export interface Rule extends RuleMeta {
  checkPython?(module: PythonModule, reporter: Reporter): void;
  checkConfig?(config: ConfigContext, reporter: Reporter): void;
}

export function defineRule(rule: Rule): Rule {
  return rule;
}
