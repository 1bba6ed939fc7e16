// The per-code rows of docs/runtime-findings.md, the one description of the RUN codes: the editor's
// docs page for a runtime finding shows its row. The file ships beside the bundles (dist/), and is read
// from the source tree when the compiled tests run.
import fs from 'node:fs';
import path from 'node:path';

export interface RuntimeFindingRow {
  severity: string;
  when: string;
  figures: string;
}

const FILE = 'runtime-findings.md';

export function locateRuntimeFindingsDoc(fromDir: string = __dirname): string | undefined {
  const candidates = [path.join(fromDir, FILE), path.join(fromDir, '..', FILE), path.resolve(fromDir, '..', '..', '..', 'docs', FILE)];
  return candidates.find((c) => fs.existsSync(c));
}

/** The table row of one code (`| \`RUN003\` | severity | when | figures |`), or undefined. */
export function runtimeFindingRow(markdown: string, code: string): RuntimeFindingRow | undefined {
  const prefix = `| \`${code}\` |`;
  const line = markdown.split('\n').find((l) => l.startsWith(prefix));
  if (!line) return undefined;
  const cells = line.slice(prefix.length).replace(/\|\s*$/, '').split(' | ').map((c) => c.trim());
  if (cells.length !== 3 || cells.some((c) => c.length === 0)) return undefined;
  const [severity, when, figures] = cells;
  return { severity, when, figures };
}
