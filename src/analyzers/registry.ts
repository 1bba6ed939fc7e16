// Every rule, sorted by code. Each family folder lists its own rules, so adding a rule touches one index.
import { EVAL_RULES } from './rules/eval';
import { HW_RULES } from './rules/hw';
import { LOAD_RULES } from './rules/load';
import { LOOP_RULES } from './rules/loop';
import { PREP_RULES } from './rules/prep';
import type { Rule } from './rules/rule';
import { STOP_RULES } from './rules/stop';

export const RULES: readonly Rule[] = [...EVAL_RULES, ...HW_RULES, ...LOAD_RULES, ...LOOP_RULES, ...PREP_RULES, ...STOP_RULES].sort((a, b) => a.code.localeCompare(b.code));

export function ruleByCode(code: string): Rule | undefined {
  return RULES.find((r) => r.code === code.toUpperCase());
}
