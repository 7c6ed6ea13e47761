import { invalid } from '../errors.js';

/** Longest custom extraction prompt accepted: a description of what to extract, not a document. */
export const MAX_CUSTOM_PROMPT_CHARS = 4000;

/**
 * Patterns of prompt injection in a custom extraction prompt. A custom prompt only says *what* to extract; it is
 * placed inside the server's own instructions, so text that tries to override them, to read them out, or to
 * smuggle chat-role or tool markup is refused outright rather than "sanitized".
 */
const RULES: readonly { why: string; pattern: RegExp }[] = [
  {
    why: 'it tells the model to ignore or override its instructions',
    pattern:
      /\b(ignore|disregard|forget|override|bypass|skip)\b[^.\n]{0,40}\b(previous|prior|above|earlier|preceding|system|all|any|your|the|these|those)\b[^.\n]{0,30}\b(instructions?|prompts?|rules?|directions?|guidelines?|messages?|context|constraints?)\b/i,
  },
  {
    why: 'it tries to replace the model’s role',
    pattern:
      /\b(you are now|from now on,? you|act as (an? )?(unrestricted|unfiltered|jailbroken|different)|pretend (to be|you are)|new (system )?instructions?:|developer mode|DAN mode|jailbreak)/i,
  },
  {
    why: 'it asks for the system prompt or hidden instructions',
    pattern:
      /\b(reveal|print|show|repeat|output|leak|disclose|tell me|write out|dump)\b[^.\n]{0,40}\b(system|hidden|initial|original|secret|internal|developer)\b[^.\n]{0,15}\b(prompt|instructions?|message|rules|configuration)\b/i,
  },
  {
    why: 'it asks for credentials or environment secrets',
    pattern: /\b(api[_ -]?keys?|passwords?|credentials?|access tokens?|environment variables?|env vars?)\b/i,
  },
  {
    why: 'it contains chat-role or tool-call markup',
    pattern:
      /(<\|?\/?\s*(system|assistant|user|tool|tool_call|tool_result|function_call|function|im_start|im_end|endoftext)\s*\|?>|\[\/?(INST|SYS)\]|<<\/?SYS>>|^\s*#{0,3}\s*(system|assistant)\s*:|"role"\s*:\s*"(system|assistant|tool)"|\b(tool_calls?|function_call)\b)/im,
  },
];

/** Why a custom prompt is refused, or an empty list when it is acceptable. */
export function promptInjectionFindings(prompt: string): string[] {
  const findings = RULES.filter((r) => r.pattern.test(prompt)).map((r) => r.why);
  if (prompt.length > MAX_CUSTOM_PROMPT_CHARS) {
    findings.push(`it is ${prompt.length} characters long; the limit is ${MAX_CUSTOM_PROMPT_CHARS}`);
  }
  return findings;
}

/**
 * Checks a long_term_memory_strategy before it is stored, so a bad one is a 400 at the request that sent it,
 * never a failing background task later.
 */
export function validateStrategy(strategy: { strategy: string; config: Record<string, unknown> } | null | undefined) {
  if (!strategy) return;
  const where = 'long_term_memory_strategy.config';
  const { config } = strategy;
  if (config.verbatim !== undefined && typeof config.verbatim !== 'boolean') {
    throw invalid(`${where}.verbatim: expected true or false`);
  }
  for (const key of ['max_summary_length'] as const) {
    const v = config[key];
    if (v !== undefined && !(typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= 5000)) {
      throw invalid(`${where}.${key}: expected a whole number of words from 1 to 5000`);
    }
  }
  if (strategy.strategy !== 'custom') return;
  const prompt = config.custom_prompt;
  if (typeof prompt !== 'string' || !prompt.trim()) {
    throw invalid(`${where}.custom_prompt: the custom strategy needs a custom_prompt saying what to extract`);
  }
  const findings = promptInjectionFindings(prompt);
  if (findings.length) {
    throw invalid(`${where}.custom_prompt was rejected as a possible prompt injection: ${findings.join('; ')}`);
  }
}
