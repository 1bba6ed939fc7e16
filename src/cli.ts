// The headless CLI: `pipeline-doctor lint | rules | profile | report`. The extension and the CLI call the same core.
import { lintCommand } from './cli/lint';
import { rulesCommand } from './cli/rules';
import { isSystemError, isUsageError, UsageError, type CliIO } from './cli/io';

const VERSION = '0.1.0';
const COMMANDS = ['lint', 'rules', 'profile', 'report', 'compare'];

const USAGE = `Usage: pipeline-doctor <command> [options]

Commands:
  lint <paths…>                  analyse Python files, notebooks and training configs
  rules [CODE]                   print the rule catalog, or one rule's documentation
  profile <script> -- <args>     run the script under the profiling runner
  report <runFolder> --out FILE  write a run as one self-contained HTML report
  compare <before> <after>       two runs before and after a change: measured speed-up, what changed

Run 'pipeline-doctor <command> --help' for a command's options; --version prints the version.

Exit codes: 0 no findings at the --fail-on level (or a measured profile), 1 findings (or a failed profile), 2 usage error.
`;

export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'lint':
        return await lintCommand(rest, io);
      case 'rules':
        return rulesCommand(rest, io);
      case 'profile': {
        const { profileCommand } = await import('./cli/profile.js');
        return await profileCommand([...rest], io);
      }
      case 'report': {
        const { reportCommand } = await import('./cli/report.js');
        return await reportCommand([...rest], io);
      }
      case 'compare': {
        const { compareCommand } = await import('./cli/compare.js');
        return compareCommand([...rest], io);
      }
      case '--version':
      case '-V':
        io.stdout(VERSION + '\n');
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (e) {
    if (isUsageError(e)) {
      const hint = COMMANDS.includes(command ?? '') ? `pipeline-doctor ${command} --help` : 'pipeline-doctor --help';
      io.stderr(`pipeline-doctor: ${oneLine(e.message)} (see '${hint}')\n`);
      return 2;
    }
    // A folder where a file was expected, a missing or unreadable file: the message says it all.
    if (isSystemError(e)) {
      io.stderr(`pipeline-doctor: ${oneLine(e.message)}\n`);
      return 1;
    }
    io.stderr(`pipeline-doctor: ${(e as Error | undefined)?.stack ?? String(e)}\n`);
    return 1;
  }
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ');
}

if (require.main === module) {
  const io: CliIO = {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    cwd: process.cwd(),
    version: VERSION,
    color: process.stdout.isTTY === true && !process.env.NO_COLOR,
  };
  main(process.argv.slice(2), io).then((code) => {
    process.exitCode = code;
  });
}
