// `pipeline-doctor lint <paths…>`: the same analysis as the editor, for terminals and CI.
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_MAX_FILE_BYTES, type AnalyzeOptions, type Notice } from '../analyzers';
import { RULES } from '../analyzers/registry';
import { ruleSummary } from '../analyzers/rules/docs';
import { discoverFiles } from '../analyzers/workspace/discover';
import { SEVERITIES, severityRank, type Finding, type Severity } from '../shared/findings';
import { fixFile, type FixedFile } from './fix-file';
import { analyzeFiles } from './parallel-analyze';
import { toSarif } from './sarif';
import { UsageError, type CliIO } from './io';
import { escapeControls, formatFindingsText, noticeLocation, unfixableFiles } from './text-format';

export const LINT_USAGE = `Usage: pipeline-doctor lint <paths…> [options] [-- <paths…>]

Analyses Python files, notebooks and training configs; folders are walked (virtual environments,
caches and what .gitignore excludes are skipped). Paths after -- are paths even when they start with -.

  --format text|json|sarif   output format (default text)
  --fix                      apply safe fixes in place
  --select CODES             only these rules (comma-separated codes or prefixes, e.g. LOAD,STOP003)
  --ignore CODES             skip these rules
  --fail-on SEVERITY         exit 1 when a finding at or above it exists: error|warning|info|hint|never (default warning)
  --max-file-size-mb N       skip larger files (default 2; a notebook by its code cells, not its outputs)
  -h, --help                 this help

Exit codes: 0 no finding at the --fail-on level, 1 findings (or a file --fix could not fix), 2 usage error.
`;

export interface LintArgs {
  help: boolean;
  paths: string[];
  format: 'text' | 'json' | 'sarif';
  fix: boolean;
  select: string[];
  ignore: string[];
  failOn: Severity | 'never';
  maxFileBytes: number;
}

export function parseLintArgs(argv: readonly string[]): LintArgs {
  const args: LintArgs = { help: false, paths: [], format: 'text', fix: false, select: [], ignore: [], failOn: 'warning', maxFileBytes: DEFAULT_MAX_FILE_BYTES };
  const list = (v: string) => v.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      args.paths.push(...argv.slice(i + 1));
      break;
    }
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '-h':
      case '--help': args.help = true; break;
      case '--format': {
        const f = value();
        if (f !== 'text' && f !== 'json' && f !== 'sarif') throw new UsageError(`--format must be text, json or sarif, not '${f}'`);
        args.format = f;
        break;
      }
      case '--fix': args.fix = true; break;
      case '--select': args.select.push(...list(value())); break;
      case '--ignore': args.ignore.push(...list(value())); break;
      case '--fail-on': {
        const s = value();
        if (s !== 'never' && !SEVERITIES.includes(s as Severity)) throw new UsageError(`--fail-on must be one of error, warning, info, hint, never`);
        args.failOn = s as Severity | 'never';
        break;
      }
      case '--max-file-size-mb': {
        const n = Number(value());
        if (!(n > 0)) throw new UsageError('--max-file-size-mb must be a positive number');
        args.maxFileBytes = n * 1024 * 1024;
        break;
      }
      default:
        if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
        args.paths.push(a);
    }
  }
  if (args.help) return args;
  if (args.paths.length === 0) throw new UsageError('lint needs at least one file or folder');
  if (args.paths.includes('')) throw new UsageError('an empty path is not a file or folder');
  for (const code of [...args.select, ...args.ignore]) {
    if (!RULES.some((r) => r.code.startsWith(code))) throw new UsageError(`no rule matches '${code}'; 'pipeline-doctor rules' lists the codes`);
  }
  return args;
}

export async function lintCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const args = parseLintArgs(argv);
  if (args.help) {
    io.stdout(LINT_USAGE);
    return 0;
  }
  for (const p of args.paths) if (!fs.existsSync(path.resolve(io.cwd, p))) throw new UsageError(`no such file or folder: ${p}`);
  const files = await discoverFiles(args.paths, io.cwd);
  const options: AnalyzeOptions = { select: args.select, ignore: args.ignore, maxFileBytes: args.maxFileBytes, root: io.cwd };
  const findings: Finding[] = [];
  const notices: Notice[] = [];
  let fixed = 0;
  // Without --fix, files are independent: analyse them on every core.
  const analysed = args.fix ? [] : await analyzeFiles(files, { ...options, filesUnchanged: true });
  for (const [i, file] of files.entries()) {
    const result = args.fix ? await fixFile(file, options) : analysed[i];
    if (args.fix) fixed += (result as FixedFile).fixed;
    findings.push(...result.findings.map((f) => ({ ...f, file: path.relative(io.cwd, f.file) || f.file })));
    notices.push(...result.notices.map((n) => ({ ...n, file: path.relative(io.cwd, n.file) || n.file })));
  }

  if (args.format === 'json') {
    io.stdout(JSON.stringify({ findings, notices, files: files.length }, null, 2) + '\n');
  } else if (args.format === 'sarif') {
    const rules = RULES.map((r) => ({ code: r.code, name: r.name, summary: ruleSummary(r), messages: r.messages }));
    io.stdout(JSON.stringify(toSarif(findings, rules, io.cwd, io.version), null, 2) + '\n');
  } else {
    io.stdout(formatFindingsText(findings, notices, files.length, fixed, io.color, unfixableFiles(notices)));
  }
  for (const n of notices) if (args.format !== 'text') io.stderr(`${noticeLocation(n)}: ${escapeControls(n.message)}\n`);
  // A file that could not be analysed or fixed (a notice at level error) fails the run whatever --fail-on says:
  // its findings are unknown, and a green run must not hide that (README, "The CLI").
  if (notices.some((n) => n.level === 'error')) return 1;
  const threshold = args.failOn;
  if (threshold === 'never') return 0;
  return findings.some((f) => severityRank(f.severity) >= severityRank(threshold)) ? 1 : 0;
}
