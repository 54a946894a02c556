// Chat templates rendered with @huggingface/jinja: ChatML, bos/eos variables, content parts, named templates, errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { smallGpt2 } from './fixtures.js';
import { applyChatTemplate, encodeChat } from '../../../src/tokenizers/chat-template.js';
import { isBertchatError } from '../../../src/util/errors.js';

const CHATML =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

test('ChatML template with and without the generation prompt', () => {
  const tok = smallGpt2({ chat_template: CHATML });
  const msgs = [
    { role: 'system', content: 'You are kind.' },
    { role: 'user', content: 'Hi!' },
  ];
  assert.equal(applyChatTemplate(tok, msgs), '<|im_start|>system\nYou are kind.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n');
  assert.equal(
    applyChatTemplate(tok, msgs, { addGenerationPrompt: true }),
    '<|im_start|>system\nYou are kind.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n',
  );
  const ids = encodeChat(tok, msgs);
  assert.equal(tok.decode(ids), applyChatTemplate(tok, msgs));
});

test('bos_token/eos_token are passed; content may be an array of text parts', () => {
  const tpl = "{{ bos_token }}{% for m in messages %}[{{ m.role }}]{{ m.content }}{{ eos_token }}{% endfor %}";
  const tok = smallGpt2({ chat_template: tpl, bos_token: { content: '<s>' }, eos_token: '</s>' });
  const out = applyChatTemplate(tok, [
    { role: 'user', content: [{ type: 'text', text: 'one' }, { type: 'image' }, { type: 'text', text: 'two' }] },
    { role: 'assistant', content: 'ok' },
  ]);
  assert.equal(out, '<s>[user]one\ntwo</s>[assistant]ok</s>');
});

test('chat_template as a list of {name, template}; tools select tool_use; raise_exception surfaces as TOKENIZER', () => {
  const tok = smallGpt2({
    chat_template: [
      { name: 'default', template: 'D:{{ messages[0].content }}' },
      { name: 'tool_use', template: 'T:{{ tools | length }}' },
    ],
  });
  assert.equal(tok.chatTemplate, 'D:{{ messages[0].content }}');
  assert.equal(applyChatTemplate(tok, [{ role: 'user', content: 'x' }]), 'D:x');
  assert.equal(applyChatTemplate(tok, [{ role: 'user', content: 'x' }], { tools: [{}, {}] }), 'T:2');
  const strict = smallGpt2({ chat_template: "{% if messages[0].role != 'user' %}{{ raise_exception('user first') }}{% endif %}ok" });
  assert.throws(() => applyChatTemplate(strict, [{ role: 'assistant', content: 'x' }]), (e) => isBertchatError(e, 'TOKENIZER') && /user first/.test(e.message));
});

test('no chat template is a clear TOKENIZER error', () => {
  assert.throws(
    () => applyChatTemplate(smallGpt2(), [{ role: 'user', content: 'x' }]),
    (e) => isBertchatError(e, 'TOKENIZER') && /chat_template/.test(e.message),
  );
  assert.equal(applyChatTemplate(smallGpt2(), [{ role: 'user', content: 'x' }], { chatTemplate: '{{ messages[0].content }}!' }), 'x!');
});
