// `pipeline-doctor rules [CODE] [--json]`: the catalog, or one rule's documentation.
import { ruleByCode, RULES } from '../analyzers/registry';
import { ruleDocument, ruleSummary } from '../analyzers/rules/docs';
import { UsageError, type CliIO } from './io';

export function rulesCommand(argv: readonly string[], io: CliIO): number {
  const json = argv.includes('--json');
  const codes = argv.filter((a) => !a.startsWith('-'));
  const unknown = argv.filter((a) => a.startsWith('-') && a !== '--json');
  if (unknown.length > 0) throw new UsageError(`unknown option ${unknown[0]}`);
  if (codes.length > 1) throw new UsageError('rules takes at most one rule code');
  if (codes.length === 1) {
    const rule = ruleByCode(codes[0]);
    if (!rule) throw new UsageError(`no rule '${codes[0]}' (see 'pipeline-doctor rules')`);
    io.stdout(json ? JSON.stringify(catalogEntry(rule), null, 2) + '\n' : ruleDocument(rule));
    return 0;
  }
  if (json) {
    io.stdout(JSON.stringify(RULES.map(catalogEntry), null, 2) + '\n');
    return 0;
  }
  const rows = RULES.map((r) => `${r.code.padEnd(8)} ${r.severity.padEnd(8)} ${r.fix.padEnd(7)} ${r.name.padEnd(34)} ${ruleSummary(r)}`);
  io.stdout([`${'CODE'.padEnd(8)} ${'SEVERITY'.padEnd(8)} ${'FIX'.padEnd(7)} ${'NAME'.padEnd(34)} SUMMARY`, ...rows].join('\n') + '\n');
  return 0;
}

function catalogEntry(r: (typeof RULES)[number]) {
  return { code: r.code, name: r.name, family: r.family, severity: r.severity, fix: r.fix };
}
