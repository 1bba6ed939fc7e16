// Every rule, sorted by code. Each family folder lists its own rules, so adding a rule touches one index.
import { LOAD_RULES } from './rules/load';
import { PREP_RULES } from './rules/prep';
import type { Rule } from './rules/rule';
import { STOP_RULES } from './rules/stop';

export const RULES: readonly Rule[] = [...LOAD_RULES, ...PREP_RULES, ...STOP_RULES].sort((a, b) => a.code.localeCompare(b.code));

export function ruleByCode(code: string): Rule | undefined {
  return RULES.find((r) => r.code === code.toUpperCase());
}
