import { z } from 'zod';
import { laxBoolean, laxNumber, strictBody } from './common.js';
import { AgentFilterShape, MemoryFilterShape } from './filters.js';

export const SearchMode = z.enum(['semantic', 'keyword', 'hybrid']);
export type SearchMode = z.infer<typeof SearchMode>;

export const RecencyParams = {
  recency_boost: laxBoolean(z.boolean().optional()).describe('Re-rank by freshness and novelty (default on).'),
  recency_semantic_weight: laxNumber(z.number().min(0).max(1).optional()),
  recency_recency_weight: laxNumber(z.number().min(0).max(1).optional()),
  recency_freshness_weight: laxNumber(z.number().min(0).max(1).optional()),
  recency_novelty_weight: laxNumber(z.number().min(0).max(1).optional()),
  recency_half_life_last_access_days: laxNumber(z.number().positive().optional()),
  recency_half_life_created_days: laxNumber(z.number().positive().optional()),
  server_side_recency: laxBoolean(z.boolean().optional()).describe(
    "The reference's switch for re-ranking inside Redis: the recency re-rank always runs in the server here, so true and false rank the same.",
  ),
  recency_importance_weight: laxNumber(z.number().min(0).max(1).optional()).describe(
    "Weight of each memory's importance in the re-rank (default 0.1; 0 ranks as the reference server).",
  ),
};

/**
 * The REST search body (field `text`), as in the reference server. Unknown fields are refused (422 naming the
 * allowed ones): a filter the server does not know must never be ignored while the answer looks filtered.
 */
export const SearchRequest = strictBody({
  // null is no text, as in the reference.
  text: z
    .string()
    .nullish()
    .transform((t) => t ?? '')
    .describe('What to look for; empty (or null) lists memories matching the filters.'),
  search_mode: SearchMode.default('hybrid'),
  hybrid_alpha: laxNumber(z.number().min(0).max(1).optional()).describe(
    'Weight of vector similarity in hybrid mode (0.7).',
  ),
  text_scorer: z
    .string()
    .optional()
    .refine((v) => v === undefined || ['BM25STD', 'BM25'].includes(v.trim().toUpperCase()), {
      message:
        'keyword search here always ranks by BM25 (send BM25STD or BM25, or leave text_scorer out); the other Redis scorers (TFIDF, DISMAX, …) are not available',
    })
    .describe("The reference's Redis scorer name: only BM25STD / BM25, which is how keyword search here ranks."),
  ...MemoryFilterShape,
  ...AgentFilterShape,
  vector: z
    .array(z.number().finite())
    .min(1)
    .max(8192)
    .optional()
    .describe(
      "Similarity to this embedding instead of a text (semantic search; the store's dimension; not with text).",
    ),
  order_by: z
    .enum(['created_at', 'importance', 'step_number', 'step_number_asc'])
    .optional()
    .describe(
      'Without text: the order of the listing (created_at newest first, the default; importance highest first; step_number latest first; step_number_asc earliest first).',
    ),
  distance_threshold: laxNumber(z.number().min(0).max(2).nullish()).describe(
    'Maximum cosine distance (semantic part only).',
  ),
  limit: laxNumber(z.number().int().min(1).max(100).default(10)),
  offset: laxNumber(z.number().int().min(0).default(0)),
  ...RecencyParams,
});
export type SearchRequest = z.output<typeof SearchRequest>;
export type SearchRequestInput = z.input<typeof SearchRequest>;
