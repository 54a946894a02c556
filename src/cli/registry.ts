// The CLI's commands, as data: a new command is one file in commands/ and one line here.
import type { Command } from './command.js';
import { classifyCommand } from './commands/classify.js';
import { fillMaskCommand } from './commands/fill-mask.js';
import { embedCommand } from './commands/embed.js';
import { tokenizeCommand } from './commands/tokenize.js';
import { infoCommand } from './commands/info.js';
import { trainCommand } from './commands/train.js';
import { trainTokenizerCommand } from './commands/train-tokenizer.js';
import { serveCommand } from './commands/serve.js';
import { chatCommand } from './commands/chat.js';
import { generateCommand } from './commands/generate.js';

export const commands: Command[] = [
  classifyCommand,
  fillMaskCommand,
  embedCommand,
  tokenizeCommand,
  infoCommand,
  trainCommand,
  trainTokenizerCommand,
  serveCommand,
  chatCommand,
  generateCommand,
];

export function findCommand(name: string): Command | undefined {
  return commands.find((c) => c.name === name);
}
