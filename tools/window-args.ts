import { z } from 'zod';

/** The client's context window: with one of these, working-memory writes keep the session inside it. */
export const WindowArgs = {
  model_name: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('The model the conversation is for (e.g. gpt-4o); its context window sets the summarization budget.'),
  context_window_max: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('Context window in tokens; wins over model_name. Above 70% of it, older messages are summarized.'),
  max_messages: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('Keep at most this many messages; older ones are folded into the summary (trimmed without an LLM).'),
};
