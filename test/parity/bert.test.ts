// BERT parity against ../shared/golden/bert-tiny-random{,-mlm}: hidden states, pooler, classifier
// and MLM logits for every case, on every back end, within the golden README's tolerance (1e-4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { needShared } from '../helpers/shared.js';
import { assertClose, ids, readJson, readTensors, readWeights } from '../helpers/golden.js';
import { availableBackends, noGrad, withBackend } from '../../src/tensor/index.js';
import { BertForSequenceClassification, BertForMaskedLM, BERT_MLM_IGNORED_KEYS } from '../../src/models/bert/heads.js';
import { readConfig } from '../../src/io/config.js';
import type { BertConfig } from '../../src/models/bert/config.js';

interface Case {
  name: string;
  input_ids: number[][];
  attention_mask: number[][] | null;
  token_type_ids: number[][] | null;
  tensors: Record<string, string>;
}

for (const backend of availableBackends()) {
  test(`BERT golden parity (${backend.name})`, (t) => {
    const dir = needShared(t, 'golden', 'bert-tiny-random');
    if (!dir) return;
    const config = readConfig(dir) as BertConfig;
    const cases = readJson<{ cases: Case[] }>(join(dir, 'cases.json')).cases;
    const expected = readTensors(join(dir, 'expected.safetensors'));
    const cls = new BertForSequenceClassification(config).eval();
    cls.loadStateDict(readWeights(dir));
    const mlmDir = join(dir, '..', 'bert-tiny-random-mlm');
    const mlmConfig = readConfig(mlmDir) as BertConfig;
    const mlm = new BertForMaskedLM(mlmConfig).eval();
    mlm.loadStateDict(readWeights(mlmDir));
    const mlmLegacy = new BertForMaskedLM(mlmConfig).eval();
    // legacy TF-style names: LayerNorm.gamma/beta → weight/bias, explicit tied decoder, extra pre-training heads
    const legacy = new Map([...readWeights(mlmDir, 'model.legacy-names.safetensors')].map(([k, v]) => [k.replace(/\.gamma$/, '.weight').replace(/\.beta$/, '.bias'), v]));
    mlmLegacy.loadStateDict(legacy, { ignore: (k) => BERT_MLM_IGNORED_KEYS.test(k) });
    withBackend(backend, () =>
      noGrad(() => {
        for (const c of cases) {
          const inp = { inputIds: ids(c.input_ids)!, attentionMask: ids(c.attention_mask), tokenTypeIds: ids(c.token_type_ids) };
          const out = cls.forward(inp);
          const get = (k: string) => expected.get(c.tensors[k]!)!.data;
          assertClose(out.lastHiddenState.values(), get('last_hidden_state'), `${c.name} last_hidden_state`);
          assertClose(cls.bert.forward(inp).poolerOutput!.values(), get('pooler_output'), `${c.name} pooler_output`);
          assertClose(out.logits.values(), get('logits'), `${c.name} logits`);
          assertClose(mlm.forward(inp).logits.values(), get('mlm_logits'), `${c.name} mlm_logits`);
          assertClose(mlmLegacy.forward(inp).logits.values(), get('mlm_logits'), `${c.name} mlm_logits (legacy names)`);
        }
      }),
    );
    assert.ok(cases.length >= 7);
  });
}
