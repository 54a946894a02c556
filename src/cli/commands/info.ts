// `bertchat info`: the tensor back end in use, threads, whether the native addon is built, and with
// --model a summary of a model folder's config (family, architecture, sizes, labels, parameters).
import { cpus } from 'node:os';
import { parseFlags, EXIT_OK, type CliIO, type Command } from '../command.js';
import { getBackend } from '../../tensor/backend/index.js';
import { loadNativeBackend, nativeAddonPath, type NativeBackend } from '../../tensor/backend/native/index.js';
import { resolveModelDir } from '../../io/hub.js';
import { readConfig, numLabels, type ModelConfig } from '../../io/config.js';
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { parseHeader, readHeaderLength } from '../../io/safetensors-header.js';
import { MODEL_FAMILIES } from '../../models/registry.js';

function configSummary(cfg: ModelConfig): Record<string, unknown> {
  const c = cfg as unknown as Record<string, unknown>;
  const pick = (...names: string[]): unknown => names.map((n) => c[n]).find((v) => v !== undefined);
  return {
    model_type: cfg.model_type,
    architectures: cfg.architectures,
    layers: pick('num_hidden_layers', 'n_layers', 'n_layer'),
    hidden_size: pick('hidden_size', 'dim', 'n_embd'),
    heads: pick('num_attention_heads', 'n_heads', 'n_head'),
    vocab_size: c.vocab_size,
    max_positions: pick('max_position_embeddings', 'n_positions'),
    num_labels: numLabels(cfg),
    id2label: cfg.id2label,
    registered_architectures: Object.keys(MODEL_FAMILIES[cfg.model_type]?.architectures ?? {}),
  };
}

/** Parameter count from the safetensors headers only (no tensor data is read); null without weights. */
function countParameters(dir: string): number | null {
  const files = existsSync(join(dir, 'model.safetensors')) ? ['model.safetensors'] : readdirSync(dir).filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f));
  if (files.length === 0) return null;
  let n = 0;
  for (const f of files) {
    const path = join(dir, f);
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      const head = Buffer.alloc(8);
      readSync(fd, head, 0, 8, 0);
      const len = readHeaderLength(head, size, path);
      const buf = Buffer.alloc(8 + len);
      readSync(fd, buf, 0, 8 + len, 0);
      for (const e of parseHeader(buf, size, path).entries) n += e.shape.reduce((a, b) => a * b, 1);
    } finally {
      closeSync(fd);
    }
  }
  return n;
}

export const infoCommand: Command = {
  name: 'info',
  summary: 'Show the back end, threads, native build status, and a model folder\'s config',
  help: `Usage: bertchat info [--model M] [--json]

Prints the tensor back end in use (BERTCHAT_BACKEND=js|native chooses it), its threads
(BERTCHAT_THREADS=N for native), whether the native addon is built, and with --model a summary of
the model's config.json and weights.

Options:
  -m, --model M          model folder or hub id to summarise
      --json             print one JSON object instead of text
  -h, --help             show this help
`,
  async run(argv: string[], io: CliIO): Promise<number> {
    const f = parseFlags(argv, { model: { type: 'string', short: 'm' }, json: { type: 'boolean' } }, false);
    const native = loadNativeBackend();
    const be = getBackend();
    const out: Record<string, unknown> = {
      backend: be.name,
      threads: be.threads,
      cpus: cpus().length,
      native: native.backend ? { available: true, ...(native.backend as NativeBackend).info() } : { available: false, reason: native.reason, path: nativeAddonPath },
      node: process.version,
    };
    if (typeof f.values.model === 'string') {
      const dir = await resolveModelDir(f.values.model);
      const cfg = readConfig(dir);
      out.model = { dir, ...configSummary(cfg), parameters: countParameters(dir) };
    }
    if (f.values.json === true) io.stdout.write(`${JSON.stringify(out)}\n`);
    else {
      const lines: string[] = [];
      for (const [k, v] of Object.entries(out)) {
        if (v && typeof v === 'object' && !Array.isArray(v)) {
          lines.push(`${k}:`);
          for (const [k2, v2] of Object.entries(v)) lines.push(`  ${k2}: ${typeof v2 === 'object' ? JSON.stringify(v2) : String(v2)}`);
        } else lines.push(`${k}: ${String(v)}`);
      }
      io.stdout.write(`${lines.join('\n')}\n`);
    }
    return EXIT_OK;
  },
};
