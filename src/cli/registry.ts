// The CLI's commands, as data: a new command is one file in commands/ and one line here.
import type { Command } from './command.js';

export const commands: Command[] = [];

export function findCommand(name: string): Command | undefined {
  return commands.find((c) => c.name === name);
}
