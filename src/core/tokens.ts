import { countTokens as cl100kCount } from 'gpt-tokenizer/encoding/cl100k_base';

// Memories are user text: "<|endoftext|>" in it is just text, not a reason to throw (the library default).
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

/** Tokens of `text` in cl100k_base, bundled so counting never needs the network. */
export function countTokens(text: string): number {
  return cl100kCount(text, PLAIN_TEXT);
}

/** Counts a message as `"role: content"`, the reference server's convention, so budgets match it. */
export function countMessageTokens(message: { role: string; content: string }): number {
  return countTokens(`${message.role}: ${message.content}`);
}
