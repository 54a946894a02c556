// A tokenizer.json tokenizer: loaded and run by @huggingface/tokenizers (the maintained pure-JS port of HF
// tokenizers), wrapped in the common Tokenizer interface so truncation/padding/pairs behave like the others.
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { BertchatError } from '../util/errors.js';
import { cleanUpTokenization } from './added-tokens.js';
import { modelInputNames, parseTokenizerSettings, type TokenizerSettings } from './config.js';
import { readJsonObject } from './files.js';
import { Tokenizer, type BuiltInputs } from './tokenizer.js';
import type { DecodeOptions } from './types.js';

type PostProcess = (a: string[], b: string[] | null, addSpecial: boolean) => { tokens: string[]; tokens_pair?: string[]; token_type_ids?: number[] };

export class JsonTokenizer extends Tokenizer {
  readonly kind = 'tokenizer.json' as const;
  /** The underlying @huggingface/tokenizers instance. */
  readonly hf: HfTokenizer;
  /** The parsed tokenizer.json (kept for saving). */
  readonly json: Record<string, unknown>;
  private readonly size: number;
  private readonly modelType: string;

  /**
   * @example new JsonTokenizer(JSON.parse(readFileSync('tokenizer.json', 'utf8')), readTokenizerSettings(dir))
   */
  constructor(json: Record<string, unknown>, settings: TokenizerSettings = parseTokenizerSettings({}), file = 'tokenizer.json') {
    const model = json['model'] as Record<string, unknown> | undefined;
    if (model === null || typeof model !== 'object') throw new BertchatError('TOKENIZER', `${file}: missing "model" object`, { file });
    const sp = settings.specialTokens;
    if (sp.unk_token === undefined && typeof model['unk_token'] === 'string') sp.unk_token = model['unk_token'];
    super(settings);
    this.json = json;
    this.modelType = typeof model['type'] === 'string' ? model['type'] : '';
    try {
      const j = { normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null, added_tokens: [], ...json };
      this.hf = new HfTokenizer(j, settings.raw);
    } catch (err) {
      throw new BertchatError('TOKENIZER', `${file}: @huggingface/tokenizers cannot load it: ${(err as Error).message}`, { file }, { cause: err });
    }
    let max = -1;
    for (const id of this.hf.get_vocab(true).values()) if (id > max) max = id;
    this.size = max + 1;
    const pp = json['post_processor'] as { type?: string } | null | undefined;
    const usesTypes = this.modelType === 'WordPiece' || pp?.type === 'BertProcessing';
    this.modelInputNames = modelInputNames(settings.raw, usesTypes);
  }

  /**
   * Reads a tokenizer.json file.
   * @example JsonTokenizer.fromFile('/m/tokenizer.json', readTokenizerSettings('/m'))
   */
  static fromFile(path: string, settings?: TokenizerSettings): JsonTokenizer {
    return new JsonTokenizer(readJsonObject(path, 'tokenizer.json'), settings, path);
  }

  get vocabSize(): number {
    return this.size;
  }
  tokenize(text: string): string[] {
    return this.hf.tokenize(text, { add_special_tokens: false });
  }
  tokenToId(token: string): number | undefined {
    return this.hf.token_to_id(token);
  }
  idToToken(id: number): string | undefined {
    return this.hf.id_to_token(id);
  }
  protected override encodeText(text: string): number[] {
    return this.hf.encode(text, { add_special_tokens: false }).ids;
  }

  /** Runs the tokenizer.json post-processor on token strings (the JS port's ByteLevel one does not join pairs). */
  protected override buildInputs(ids: number[], pair: number[] | null): BuiltInputs {
    const pp = this.hf.post_processor as unknown as PostProcess | null;
    if (pp === null) return super.buildInputs(ids, pair);
    const a = this.convertIdsToTokens(ids);
    const b = pair === null ? null : this.convertIdsToTokens(pair);
    const res = pp(a, b, true);
    if (res.token_type_ids === undefined) return super.buildInputs(ids, pair);
    const out = this.convertTokensToIds(res.tokens);
    return { ids: out, typeIds: res.token_type_ids };
  }

  override get cleanUpTokenizationSpaces(): boolean {
    return this.settings.cleanUpTokenizationSpaces ?? this.modelType === 'WordPiece';
  }

  protected tokensToString(tokens: string[]): string {
    const ids = this.convertTokensToIds(tokens);
    return ids.length === 0 ? '' : this.hf.decode(ids, { clean_up_tokenization_spaces: false });
  }

  /** Decodes through the tokenizer.json decoder; an empty list gives ''. */
  override decode(ids: number[], opts: DecodeOptions = {}): string {
    const special = opts.skipSpecialTokens ? this.allSpecialIds : null;
    const kept = special ? ids.filter((id) => !special.has(id)) : ids;
    for (const id of kept) {
      if (this.idToToken(id) === undefined) throw new BertchatError('INDEX_OUT_OF_RANGE', `token id ${id} is outside the vocabulary (size ${this.vocabSize})`);
    }
    if (kept.length === 0) return '';
    const text = this.hf.decode(kept, { skip_special_tokens: opts.skipSpecialTokens ?? false, clean_up_tokenization_spaces: false });
    return (opts.cleanUpTokenizationSpaces ?? this.cleanUpTokenizationSpaces) ? cleanUpTokenization(text) : text;
  }
}
