import { z } from 'zod';
import { MemoryFilterShape } from './filters.js';

export const SearchMode = z.enum(['semantic', 'keyword', 'hybrid']);
export type SearchMode = z.infer<typeof SearchMode>;

export const RecencyParams = {
  recency_boost: z.boolean().optional().describe('Re-rank by freshness and novelty (default on).'),
  recency_semantic_weight: z.number().min(0).max(1).optional(),
  recency_recency_weight: z.number().min(0).max(1).optional(),
  recency_freshness_weight: z.number().min(0).max(1).optional(),
  recency_novelty_weight: z.number().min(0).max(1).optional(),
  recency_half_life_last_access_days: z.number().positive().optional(),
  recency_half_life_created_days: z.number().positive().optional(),
  recency_importance_weight: z
    .number()
    .min(0)
    .max(1)
    .optional()
    .describe("Weight of each memory's importance in the re-rank (default 0.1; 0 ranks as the reference server)."),
};

/** The REST search body (field `text`), as in the reference server. */
export const SearchRequest = z.object({
  text: z.string().default('').describe('What to look for; empty lists memories matching the filters.'),
  search_mode: SearchMode.default('hybrid'),
  hybrid_alpha: z.number().min(0).max(1).optional().describe('Weight of vector similarity in hybrid mode (0.7).'),
  ...MemoryFilterShape,
  distance_threshold: z.number().min(0).max(2).nullish().describe('Maximum cosine distance (semantic part only).'),
  limit: z.number().int().min(1).max(100).default(10),
  offset: z.number().int().min(0).default(0),
  ...RecencyParams,
});
export type SearchRequest = z.output<typeof SearchRequest>;
export type SearchRequestInput = z.input<typeof SearchRequest>;
