import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { invalid } from '../../errors.js';
import type { AppEnv } from '../env.js';
import { MemoryPromptRequest, MemoryPromptResponse, queryBool } from '../schemas.js';
import { badRequest, bearerAuth, commonErrors, jsonBody, jsonContent } from './openapi-helpers.js';
import { type OptimizeOptions, optimizedText } from './optimize.js';

const memoryPrompt = createRoute({
  method: 'post',
  path: '/v1/memory/prompt',
  tags: ['Memory prompt'],
  security: bearerAuth,
  summary: 'Build the messages to answer a query with memory',
  description:
    "Summary and recent messages of `session` (trimmed to the model's window), then the long-term memories " +
    'relevant to `query` (`long_term_search` gives filters; `true` searches with defaults), then the query.',
  request: {
    query: z.object({
      optimize_query: queryBool.optional().meta({
        description:
          'Rewrite the long-term search text (`long_term_search.text`, else `query`) with the fast model before ' +
          'searching; the final user message stays `query` as given. Without an LLM the original text is used.',
      }),
    }),
    body: jsonBody(MemoryPromptRequest),
  },
  responses: { 200: jsonContent(MemoryPromptResponse, 'Messages ready for an LLM'), ...badRequest, ...commonErrors },
});

type PromptBody = z.output<typeof MemoryPromptRequest>;

/** `long_term_search: true` means what it means in the reference server: other sessions of the same user. */
function searchFor(body: PromptBody) {
  const lts = body.long_term_search;
  if (lts === true) {
    const s = body.session;
    return {
      limit: 20,
      session_id: s ? { ne: s.session_id } : undefined,
      user_id: s?.user_id ? { eq: s.user_id } : undefined,
      namespace: s?.namespace ? { eq: s.namespace } : undefined,
    };
  }
  if (!lts) return undefined;
  const user = body.session?.user_id;
  return lts.user_id === undefined && user ? { ...lts, user_id: { eq: user } } : lts;
}

export function promptRoutes(app: OpenAPIHono<AppEnv>, opts: OptimizeOptions): void {
  app.openapi(memoryPrompt, async (c) => {
    const api = c.get('api');
    const body = c.req.valid('json');
    let long_term_search = searchFor(body);
    if (!body.session && !long_term_search) throw invalid('Either session or long_term_search must be provided');
    if (long_term_search && c.req.valid('query').optimize_query) {
      const text = ('text' in long_term_search && long_term_search.text?.trim()) || body.query;
      long_term_search = { ...long_term_search, text: await optimizedText(api, text, opts.optimizeBudgetMs) };
    }
    const result = await api.memoryPrompt({ query: body.query, session: body.session, long_term_search });
    const memories = result.long_term_memories?.memories ?? [];
    return c.json({ messages: result.messages, long_term_memories: memories.length ? memories : null }, 200);
  });
}
