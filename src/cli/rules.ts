// `pipeline-doctor rules [CODE] [--json]`: the catalog, or one rule's documentation.
import { ruleByCode, RULES } from '../analyzers/registry';
import { ruleDocument, ruleSummary } from '../analyzers/rules/docs';
import { UsageError, type CliIO } from './io';

export const RULES_USAGE = `Usage: pipeline-doctor rules [CODE] [--json]

Prints the rule catalog (code, default severity, fix, name, summary), or one rule's documentation.

  --json       the catalog as [{code, name, family, severity, fix}], or one rule's entry
  -h, --help   this help
`;

export function rulesCommand(argv: readonly string[], io: CliIO): number {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout(RULES_USAGE);
    return 0;
  }
  const json = argv.includes('--json');
  const codes = argv.filter((a) => !a.startsWith('-'));
  const unknown = argv.filter((a) => a.startsWith('-') && a !== '--json');
  if (unknown.length > 0) throw new UsageError(`unknown option ${unknown[0]}`);
  if (codes.length > 1) throw new UsageError('rules takes at most one rule code');
  if (codes.length === 1) {
    const rule = ruleByCode(codes[0]);
    if (!rule) throw new UsageError(`no rule '${codes[0]}'; 'pipeline-doctor rules' lists the codes`);
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
