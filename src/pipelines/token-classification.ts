// 'token-classification' / 'ner', as HF TokenClassificationPipeline: per-token entities
// {entity, score, index, word, start, end} ("O" dropped, special tokens skipped), or with
// aggregation_strategy 'simple' grouped B-/I- runs {entity_group, score, word, start, end}.
import { BertchatError } from '../util/errors.js';
import { asList, labelOf, runEncoder, type PipelineParts } from './base.js';
import { softmaxRow, type CommonOptions, type TextInput } from './inputs.js';
import { tokenOffsets } from './offsets.js';

export type AggregationStrategy = 'none' | 'simple';

export interface TokenEntity {
  entity: string;
  score: number;
  index: number;
  word: string;
  start: number | null;
  end: number | null;
}

export interface EntityGroup {
  entity_group: string;
  score: number;
  word: string;
  start: number | null;
  end: number | null;
}

export interface TokenClassificationOptions extends CommonOptions {
  aggregationStrategy?: AggregationStrategy;
  aggregation_strategy?: AggregationStrategy;
  /** Labels left out of the output (default ['O']). */
  ignoreLabels?: string[];
  ignore_labels?: string[];
}

/** HF get_tag: 'B-PER' → ['B', 'PER']; a label without a B-/I- prefix counts as I-. */
function getTag(entity: string): [string, string] {
  if (entity.startsWith('B-')) return ['B', entity.slice(2)];
  if (entity.startsWith('I-')) return ['I', entity.slice(2)];
  return ['I', entity];
}

/** HF group_entities + group_sub_entities. `join` is convert_tokens_to_string. */
export function groupEntities(entities: TokenEntity[], join: (tokens: string[]) => string): EntityGroup[] {
  const groups: EntityGroup[] = [];
  let cur: TokenEntity[] = [];
  const flush = (): void => {
    if (cur.length === 0) return;
    const name = cur[0]!.entity.split('-').length > 1 ? cur[0]!.entity.slice(cur[0]!.entity.indexOf('-') + 1) : cur[0]!.entity;
    const s = cur.map((e) => e.score).filter((x) => !Number.isNaN(x));
    groups.push({
      entity_group: name,
      score: Math.fround(s.reduce((a, b) => a + b, 0) / s.length),
      word: join(cur.map((e) => e.word)),
      start: cur[0]!.start,
      end: cur[cur.length - 1]!.end,
    });
  };
  for (const e of entities) {
    if (cur.length === 0) {
      cur.push(e);
      continue;
    }
    const [bi, tag] = getTag(e.entity);
    const [, lastTag] = getTag(cur[cur.length - 1]!.entity);
    if (tag === lastTag && bi !== 'B') cur.push(e);
    else {
      flush();
      cur = [e];
    }
  }
  flush();
  return groups;
}

/**
 * Tags tokens. A string → a list of entities; a list → one list per input. Offsets (`start`, `end`) are
 * UTF-16 indices into the input text (null where a token cannot be placed).
 *
 * @example await tagTokens(parts, 'My name is Wolfgang', { aggregationStrategy: 'simple' })
 */
export async function tagTokens(
  parts: PipelineParts,
  inputs: string | readonly string[],
  opts: TokenClassificationOptions = {},
): Promise<Array<TokenEntity | EntityGroup> | Array<Array<TokenEntity | EntityGroup>>> {
  const { list, single } = asList(inputs as TextInput | TextInput[], 'token-classification');
  list.forEach((x, i) => {
    if (typeof x !== 'string') throw new BertchatError('INVALID_ARGUMENT', `token-classification: input ${i} must be a string (pairs are not supported)`);
  });
  const { model, tokenizer } = parts;
  const strategy = opts.aggregationStrategy ?? opts.aggregation_strategy ?? 'none';
  if (strategy !== 'none' && strategy !== 'simple') {
    throw new BertchatError('INVALID_ARGUMENT', `token-classification: aggregation_strategy must be "none" or "simple", got ${JSON.stringify(strategy)}`);
  }
  const ignore = new Set(opts.ignoreLabels ?? opts.ignore_labels ?? ['O']);
  const added = new Set([tokenizer.clsTokenId, tokenizer.sepTokenId, tokenizer.padTokenId].filter((x): x is number => x !== null));
  const join = (tokens: string[]): string => tokenizer.decode(tokenizer.convertTokensToIds(tokens), { cleanUpTokenizationSpaces: false });
  const rows = runEncoder(parts, list, opts, true);
  const results = rows.map((r) => {
    if (!r.logits) throw new BertchatError('INVALID_ARGUMENT', `token-classification: ${model.constructor.name} has no token-classification head`);
    const T = r.enc.ids.length;
    const L = r.logits.length / T;
    const special = r.enc.ids.map((id) => added.has(id));
    const offsets = tokenOffsets(tokenizer, list[r.index] as string, r.enc.tokens, special);
    const entities: TokenEntity[] = [];
    for (let t = 0; t < T; t++) {
      if (special[t]) continue;
      const p = softmaxRow(r.logits.subarray(t * L, (t + 1) * L));
      let best = 0;
      for (let j = 1; j < L; j++) if (p[j]! > p[best]!) best = j;
      const off = offsets[t] ?? null;
      entities.push({ entity: labelOf(model.config, best), score: p[best]!, index: t, word: r.enc.tokens[t]!, start: off ? off[0] : null, end: off ? off[1] : null });
    }
    if (strategy === 'none') return entities.filter((e) => !ignore.has(e.entity));
    return groupEntities(entities, join).filter((g) => !ignore.has(g.entity_group));
  });
  return single ? results[0]! : results;
}
