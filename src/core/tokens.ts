import { createRequire } from 'node:module';

type Cl100k = typeof import('gpt-tokenizer/encoding/cl100k_base');

// Memories are user text: "<|endoftext|>" in it is just text, not a reason to throw (the library default).
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

const require = createRequire(import.meta.url);
let encoding: Cl100k | undefined;
/** Loaded on the first count: its tables take a few hundred ms to parse, which a start must not wait for. */
const cl100k = (): Cl100k => {
  encoding ??= require('gpt-tokenizer/encoding/cl100k_base') as Cl100k;
  return encoding;
};

/** Tokens of `text` in cl100k_base, bundled so counting never needs the network. */
export function countTokens(text: string): number {
  return cl100k().countTokens(text, PLAIN_TEXT);
}

/** Counts a message as `"role: content"`, the reference server's convention, so budgets match it. */
export function countMessageTokens(message: { role: string; content: string }): number {
  return countTokens(`${message.role}: ${message.content}`);
}
