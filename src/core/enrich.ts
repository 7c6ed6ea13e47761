import { z } from 'zod';
import type { ChatModel } from '../llm/chat-model.js';
import { completeJson } from '../llm/json-reply.js';
import type { PromptLibrary } from '../llm/prompts.js';
import type { MemoryStore } from '../store/port.js';
import type { LongTermMemory } from './long-term.js';
import { cleanTags } from './tags.js';

const EnrichReply = z.object({
  topics: z.array(z.unknown()).default([]),
  entities: z.array(z.unknown()).default([]),
});

export interface EnrichmentReport {
  status: 'enriched' | 'skipped';
  reason?: string;
  enriched: number;
}

/**
 * Topics and entities by the fast model, for memories stored without them (ENABLE_TOPIC_EXTRACTION, ENABLE_NER).
 * Only empty fields are filled: what a caller gave is never replaced.
 */
export class Enricher {
  constructor(
    private readonly deps: {
      store: MemoryStore;
      longTerm: Pick<LongTermMemory, 'edit'>;
      chat: ChatModel | null;
      prompts: PromptLibrary;
      topics: boolean;
      entities: boolean;
    },
  ) {}

  get enabled(): boolean {
    return this.deps.chat !== null && (this.deps.topics || this.deps.entities);
  }

  /** Whether a memory lacks what enrichment would add. */
  wants(record: { topics: string[]; entities: string[] }): boolean {
    return (this.deps.topics && record.topics.length === 0) || (this.deps.entities && record.entities.length === 0);
  }

  async enrich(ids: string[]): Promise<EnrichmentReport> {
    const chat = this.deps.chat;
    if (!chat) return { status: 'skipped', reason: 'no LLM is configured', enriched: 0 };
    let enriched = 0;
    for (const record of await this.deps.store.getMemories(ids)) {
      const topics = this.deps.topics && record.topics.length === 0;
      const entities = this.deps.entities && record.entities.length === 0;
      if (!topics && !entities) continue;
      const what = topics && entities ? 'topics and entities' : topics ? 'topics' : 'entities';
      const prompt = this.deps.prompts.render('enrich', { what, text: record.text });
      const reply = await completeJson(
        chat,
        {
          system: prompt.system,
          messages: [{ role: 'user', content: prompt.user }],
          maxTokens: 256,
          purpose: 'enrich',
        },
        EnrichReply,
      );
      const patch = {
        ...(topics ? { topics: cleanTags(reply.topics, true) } : {}),
        ...(entities ? { entities: cleanTags(reply.entities) } : {}),
      };
      if ((patch.topics?.length ?? 0) + (patch.entities?.length ?? 0) === 0) continue;
      await this.deps.longTerm.edit(record.id, patch);
      enriched++;
    }
    return { status: 'enriched', enriched };
  }
}
