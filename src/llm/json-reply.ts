import type { z } from 'zod';
import { describeZodIssues, MemoryError } from '../errors.js';
import type { ChatModel, ChatRequest } from './chat-model.js';
import { recordLlmUsage } from './usage.js';

/**
 * The JSON object in a model's reply. Models wrap JSON in code fences or a sentence despite instructions, so this
 * takes the outermost {...}; anything that still does not parse is null.
 */
export function parseJsonObject(text: string): unknown {
  const unfenced = text.replace(/^\s*```(?:json)?\s*/i, '').replace(/\s*```\s*$/, '');
  for (const candidate of [unfenced, slice(unfenced)]) {
    if (candidate === null) continue;
    try {
      const value = JSON.parse(candidate) as unknown;
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value;
    } catch {
      // Try the next candidate.
    }
  }
  return null;
}

function slice(text: string): string | null {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  return start >= 0 && end > start ? text.slice(start, end + 1) : null;
}

/**
 * Asks for JSON and validates it. A malformed reply is answered once with what was wrong (models usually fix it);
 * a second malformed reply is a MemoryError('unavailable'), so a background task retries later.
 */
export async function completeJson<T>(
  model: ChatModel,
  req: ChatRequest,
  schema: z.ZodType<T>,
  attempts = 2,
): Promise<T> {
  const messages = [...req.messages];
  let problem = '';
  for (let i = 0; i < attempts; i++) {
    const { text } = await model.complete({ ...req, messages, json: true });
    const value = parseJsonObject(text);
    if (value === null) {
      problem = 'the reply was not a JSON object';
    } else {
      const parsed = schema.safeParse(value);
      if (parsed.success) return parsed.data;
      problem = `the JSON did not match the requested format (${describeZodIssues(parsed.error.issues)})`;
    }
    recordLlmUsage(model.provider, model.model, { kind: 'malformed' });
    messages.push(
      { role: 'assistant', content: text.slice(0, 4000) },
      { role: 'user', content: `That reply cannot be used: ${problem}. Reply again with only the JSON object.` },
    );
  }
  throw new MemoryError(
    'unavailable',
    `Model ${model.model} gave no usable JSON for ${req.purpose ?? 'the request'} after ${attempts} attempts: ${problem}`,
  );
}
