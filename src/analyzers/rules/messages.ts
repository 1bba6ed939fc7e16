// A rule's message templates (RuleMeta.messages): `{{name}}` placeholders filled from a report's data,
// as ESLint interpolates `meta.messages`. A placeholder without a value stays as written, so a test can see it.

const PLACEHOLDER = /\{\{\s*([^{}]+?)\s*\}\}/g;

export function formatMessage(template: string, data: Readonly<Record<string, string | number>> = {}): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => (Object.hasOwn(data, name) ? String(data[name]) : whole));
}

/** The placeholder names of a template, in order of first appearance. */
export function placeholders(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1]))];
}
