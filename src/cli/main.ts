// `bertchat <command> [flags]`: dispatches to src/cli/commands/*, prints errors plainly, returns exit codes.
import { commands, findCommand } from './registry.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError, type CliIO } from './command.js';
import { BertchatError } from '../util/errors.js';

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length), 8);
  return [
    'Usage: bertchat <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `bertchat <command> --help` for the options of a command.',
    '',
  ].join('\n');
}

export async function main(argv: string[], io: CliIO = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin }): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(usage());
    return name ? EXIT_OK : EXIT_USAGE;
  }
  if (name === '--version' || name === '-v') {
    const { readFileSync } = await import('node:fs');
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    io.stdout.write(`${pkg.version}\n`);
    return EXIT_OK;
  }
  const cmd = findCommand(name);
  if (!cmd) {
    io.stderr.write(`bertchat: unknown command "${name}"\n\n${usage()}`);
    return EXIT_USAGE;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(cmd.help.endsWith('\n') ? cmd.help : `${cmd.help}\n`);
    return EXIT_OK;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`bertchat ${name}: ${e.message}\nRun \`bertchat ${name} --help\` for usage.\n`);
      return EXIT_USAGE;
    }
    if (e instanceof BertchatError) {
      io.stderr.write(`bertchat ${name}: ${e.message}\n`);
      return EXIT_FAILURE;
    }
    throw e;
  }
}
