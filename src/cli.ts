// The headless CLI: `pipeline-doctor lint | rules | profile`. The extension and the CLI call the same core.
import { lintCommand } from './cli/lint';
import { rulesCommand } from './cli/rules';
import { UsageError, type CliIO } from './cli/io';

const VERSION = '0.1.0';

const USAGE = `Usage: pipeline-doctor <command> [options]

Commands:
  lint <paths…>      Analyse Python files, notebooks and training configs
      --format text|json|sarif   output format (default text)
      --fix                      apply safe fixes in place
      --select CODES             only these rules (comma-separated codes or prefixes, e.g. LOAD,STOP003)
      --ignore CODES             skip these rules
      --fail-on SEVERITY         exit 1 when a finding at or above it exists: error|warning|info|hint|never (default warning)
      --max-file-size-mb N       skip larger files (default 2; notebooks: their code cells)
  rules [CODE] [--json]          print the rule catalog, or one rule's documentation
  profile <script> [options] -- <script args>
                                 run the script under the profiling runner (see 'pipeline-doctor profile --help')
  report <runFolder> --out FILE [--compare <earlierRunFolder>]
                                 write a run as one self-contained HTML report

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
    // By name: profile and report are bundles of their own, each with its own copy of the class.
    if ((e as Error | undefined)?.name === UsageError.name) {
      io.stderr(`pipeline-doctor: ${(e as Error).message}\nRun 'pipeline-doctor --help' for usage.\n`);
      return 2;
    }
    io.stderr(`pipeline-doctor: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
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
