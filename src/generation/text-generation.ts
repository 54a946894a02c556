// generateText(): the convenience wrapper — a prompt string in, text out — over generate() and any tokenizer
// with encode/decode. Pipelines and the server build on generate() directly for streaming.
import type { CausalLM } from '../nn/causal-lm.js';
import { generateIds, type GenerateOptions, type GenerationResult } from './generate.js';
import { encodedIds, type TokenDecoder, type TokenEncoder } from './text.js';

export interface TextGenerationOutput {
  /** The first choice's text. */
  text: string;
  choices: GenerationResult[];
  usage: { promptTokens: number; completionTokens: number; totalTokens: number };
}

/**
 * Generates text from a prompt (or several) with a tokenizer that has encode and decode.
 * @example
 * const tok = loadTokenizer('models/gpt2'); const model = loadGPT2('models/gpt2');
 * const { text } = await generateText(model, tok, 'Once upon a time', { maxTokens: 40, temperature: 0.8, seed: 1 });
 */
export async function generateText(
  model: CausalLM,
  tokenizer: TokenEncoder & TokenDecoder,
  prompt: string | readonly string[],
  opts: Omit<GenerateOptions, 'decoder'> = {},
): Promise<TextGenerationOutput> {
  const prompts = (typeof prompt === 'string' ? [prompt] : [...prompt]).map((p) => encodedIds(tokenizer.encode(p)));
  const choices = await generateIds(model, prompts, { ...opts, decoder: tokenizer });
  const promptTokens = prompts.reduce((s, p, i) => s + (choices.find((c) => c.prompt === i)?.promptTokens ?? p.length), 0);
  const completionTokens = choices.reduce((s, c) => s + c.completionTokens, 0);
  return { text: choices[0]?.text ?? '', choices, usage: { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens } };
}
