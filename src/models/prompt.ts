import { z } from 'zod';
import { Identifier, laxNumber, strictBody } from './common.js';
import { SearchRequest } from './search.js';

export const PromptSession = strictBody({
  session_id: Identifier,
  namespace: Identifier.nullish(),
  user_id: Identifier.nullish(),
  model_name: z.string().nullish(),
  context_window_max: laxNumber(z.number().int().positive().nullish()),
  recent_messages_limit: laxNumber(z.number().int().positive().nullish()),
});

export const MemoryPromptRequest = strictBody({
  query: z.string().refine((s) => s.trim().length > 0, { message: 'query must not be empty' }),
  session: PromptSession.nullish(),
  long_term_search: SearchRequest.partial().nullish(),
});
export type MemoryPromptRequest = z.input<typeof MemoryPromptRequest>;

export const PromptMessage = z.object({
  role: z.enum(['user', 'assistant', 'system']),
  content: z.object({ type: z.literal('text'), text: z.string() }),
});
export type PromptMessage = z.infer<typeof PromptMessage>;
