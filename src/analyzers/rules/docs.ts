// Rule documentation: one Markdown text per rule, split into its required sections for the CLI,
// the editor's docs view and the meta tests.
import type { Rule } from './rule';

export const REQUIRED_SECTIONS = ['What it does', 'Why is this bad?', 'Example', 'Use instead', 'Fix safety', 'References'] as const;

export function docSections(docs: string): Map<string, string> {
  const sections = new Map<string, string>();
  const parts = docs.split(/^## /m).slice(1);
  for (const part of parts) {
    const nl = part.indexOf('\n');
    sections.set(part.slice(0, nl).trim(), part.slice(nl + 1).trim());
  }
  return sections;
}

/** The first sentence of "What it does", for tables and SARIF descriptors. */
export function ruleSummary(rule: Rule): string {
  const what = docSections(rule.docs).get('What it does') ?? rule.name;
  const flat = what.replace(/\s+/g, ' ');
  const end = flat.search(/\.(\s|$)/);
  return end >= 0 ? flat.slice(0, end + 1) : flat;
}

/** The code blocks of a section: [language, code]. */
export function codeBlocks(section: string): Array<[string, string]> {
  return [...section.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => [m[1], m[2]]);
}

export function ruleDocument(rule: Rule): string {
  return `# ${rule.code}: ${rule.name}\n\nFamily: ${rule.family} · default severity: ${rule.severity} · fix: ${rule.fix}\n\n${rule.docs.trim()}\n`;
}
