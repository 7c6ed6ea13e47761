import { z } from 'zod';
import type { ChatModel } from '../llm/chat-model.js';
import { completeJson } from '../llm/json-reply.js';
import type { PromptLibrary, PromptName } from '../llm/prompts.js';
import type { MemoryMessage } from '../models/message.js';
import type { MemoryStore, SessionKey, StoredSession } from '../store/port.js';
import { log } from '../util/log.js';
import type { Candidate, Deduplicator } from './dedup.js';
import type { LongTermMemory } from './long-term.js';
import { validateStrategy } from './prompt-guard.js';
import { cleanDate, cleanTags } from './tags.js';
import { countTokens } from './tokens.js';
import { groupByTokens, timestampLabel } from './transcript.js';

export interface Strategy {
  strategy: string;
  config: Record<string, unknown>;
}

export interface ExtractionReport {
  status: 'extracted' | 'nothing_to_extract' | 'skipped';
  reason?: string;
  /** Messages read (and marked extracted). */
  messages: number;
  created: number;
  /** Candidates equal to a stored memory. */
  duplicates: number;
  /** Candidates merged into stored memories. */
  merged: number;
  memory_ids: string[];
}

const ExtractedMemory = z.object({
  type: z.string().optional(),
  text: z.string(),
  topics: z.array(z.unknown()).optional(),
  entities: z.array(z.unknown()).optional(),
  event_date: z.unknown().optional(),
  sources: z.array(z.union([z.string(), z.number()])).optional(),
});
const ExtractionReply = z.object({ memories: z.array(ExtractedMemory) });

const TEMPLATES: Record<string, PromptName> = {
  discrete: 'extract-discrete',
  summary: 'extract-summary',
  preferences: 'extract-preferences',
  custom: 'extract-custom',
};
const OUTPUT_TOKENS = 2048;
const DEFAULT_SUMMARY_WORDS = 300;

export interface ExtractorDeps {
  store: MemoryStore;
  longTerm: Pick<LongTermMemory, 'create'>;
  dedup: Deduplicator;
  chat: ChatModel | null;
  /** Why `chat` is null. */
  unavailableReason?: string;
  prompts: PromptLibrary;
  /** The generation model's context window. */
  modelWindow: number;
  maxTextBytes: number;
  /** ENABLE_DISCRETE_MEMORY_EXTRACTION. */
  llmExtraction: boolean;
  dedupDistance: number;
}

interface Extracted extends Candidate {
  memory_type: 'semantic' | 'episodic' | 'message';
}

/** Verbatim mode stores the user's own words, so it needs no LLM. */
export const isVerbatim = (s: Strategy | null | undefined) => s?.config.verbatim === true;

/**
 * Turns a session's unprocessed messages (archived ones included) into long-term memories with the session's
 * strategy, grounded (names for pronouns, absolute dates from the messages' timestamps), deduplicated against
 * what is stored, and marks the messages extracted so a replay adds nothing.
 */
export class Extractor {
  constructor(private readonly deps: ExtractorDeps) {}

  async extractSession(key: SessionKey): Promise<ExtractionReport> {
    const report: ExtractionReport = {
      status: 'extracted',
      messages: 0,
      created: 0,
      duplicates: 0,
      merged: 0,
      memory_ids: [],
    };
    const session = await this.deps.store.getSession(key);
    if (!session) return { ...report, status: 'skipped', reason: 'the session no longer exists' };
    const messages = await this.deps.store.messagesToExtract(key);
    if (messages.length === 0) return { ...report, status: 'nothing_to_extract' };
    const strategy: Strategy = session.long_term_memory_strategy ?? { strategy: 'discrete', config: {} };
    validateStrategy(strategy);

    let candidates: Extracted[];
    if (isVerbatim(strategy)) {
      candidates = messages
        .filter((m) => m.role === 'user' && Buffer.byteLength(m.content) <= this.deps.maxTextBytes)
        .map((m) => ({
          text: m.content,
          memory_type: 'message' as const,
          topics: [],
          entities: [],
          event_date: null,
          extracted_from: [m.id],
        }));
    } else {
      if (!this.deps.chat) {
        return { ...report, status: 'skipped', reason: `extraction is unavailable: ${this.deps.unavailableReason}` };
      }
      if (!this.deps.llmExtraction) {
        return { ...report, status: 'skipped', reason: 'ENABLE_DISCRETE_MEMORY_EXTRACTION is false' };
      }
      candidates = await this.extractWithModel(this.deps.chat, messages, strategy, key, background(session, messages));
    }

    for (const c of candidates) await this.store(c, strategy, key, report);
    report.messages = await this.deps.store.markMessagesExtracted(
      key,
      messages.map((m) => m.id),
    );
    return report;
  }

  /** Stores one candidate unless it duplicates or merges into a stored memory; one at a time, so later ones see it. */
  private async store(c: Extracted, strategy: Strategy, key: SessionKey, report: ExtractionReport): Promise<void> {
    const scope = { namespace: key.namespace, user_id: key.user_id };
    const verdict =
      c.memory_type === 'message'
        ? { outcome: 'new' as const }
        : await this.deps.dedup.resolveCandidate(c, scope, this.deps.dedupDistance);
    if (verdict.outcome === 'duplicate') {
      report.duplicates++;
      return;
    }
    if (verdict.outcome === 'merged') {
      report.merged++;
      report.memory_ids.push(verdict.id);
      return;
    }
    const { outcomes, memories } = await this.deps.longTerm.create(
      [
        {
          text: c.text,
          memory_type: c.memory_type,
          topics: c.topics,
          entities: c.entities,
          event_date: c.event_date,
          session_id: key.session_id,
          namespace: key.namespace,
          user_id: key.user_id,
          extraction_strategy: strategy.strategy,
          extraction_strategy_config: strategy.config,
          discrete_memory_extracted: 't',
          extracted_from: c.extracted_from,
        },
      ],
      { deduplicate: true },
    );
    if (outcomes[0]?.status === 'duplicate') report.duplicates++;
    else report.created++;
    report.memory_ids.push(...memories.map((m) => m.id));
  }

  private async extractWithModel(
    chat: ChatModel,
    messages: MemoryMessage[],
    strategy: Strategy,
    key: SessionKey,
    earlier: string,
  ): Promise<Extracted[]> {
    const template = TEMPLATES[strategy.strategy] ?? 'extract-discrete';
    const labels = new Map(messages.map((m, i) => [`m${i + 1}`, m.id]));
    const lines = messages.map((m, i) => `[m${i + 1}] ${timestampLabel(m.created_at)} ${m.role}: ${m.content}`);
    const render = (conversation: string) =>
      this.deps.prompts.render(template, {
        grounding: this.deps.prompts.text('extraction-grounding', { user_label: userLabel(key) }),
        output_format: this.deps.prompts.text('extraction-format'),
        current_datetime: timestampLabel(new Date().toISOString()),
        custom_prompt: typeof strategy.config.custom_prompt === 'string' ? strategy.config.custom_prompt : '',
        max_words: numberOr(strategy.config.max_summary_length, DEFAULT_SUMMARY_WORDS),
        background: earlier,
        messages: conversation,
      });
    const empty = render('');
    const overhead = countTokens(`${empty.system}\n${empty.user}`) + 32;
    const budget = Math.floor(this.deps.modelWindow * 0.9) - overhead - OUTPUT_TOKENS;
    // A long conversation is read in consecutive parts, each within the model's window.
    const chunks = groupByTokens(lines, Math.max(500, budget));
    const out: Extracted[] = [];
    let offset = 0;
    for (const chunk of chunks) {
      const prompt = render(chunk.join('\n'));
      const chunkIds = messages.slice(offset, offset + chunk.length).map((m) => m.id);
      offset += chunk.length;
      const reply = await completeJson(
        chat,
        {
          system: prompt.system,
          messages: [{ role: 'user', content: prompt.user }],
          maxTokens: OUTPUT_TOKENS,
          purpose: `extract-${strategy.strategy}`,
        },
        ExtractionReply,
      );
      for (const m of reply.memories) {
        const text = m.text.trim();
        if (!text) continue;
        if (Buffer.byteLength(text) > this.deps.maxTextBytes) {
          log.warn('extracted memory longer than MAX_TEXT_BYTES; left out', { session_id: key.session_id });
          continue;
        }
        const sources = (m.sources ?? []).flatMap((s) => {
          const id = labels.get(typeof s === 'number' ? `m${s}` : s.replace(/^\[|\]$/g, ''));
          return id ? [id] : [];
        });
        out.push({
          text,
          memory_type: m.type === 'episodic' ? 'episodic' : 'semantic',
          topics: cleanTags(m.topics, true),
          entities: cleanTags(m.entities),
          event_date: cleanDate(m.event_date),
          extracted_from: sources.length ? [...new Set(sources)] : chunkIds,
        });
      }
    }
    return out;
  }
}

/** Messages shown before the new ones, already extracted: enough to resolve "she" or "that day" in a new message. */
const BACKGROUND_MESSAGES = 6;

/** The running summary and the last few extracted messages before the new ones, or "(none)". */
function background(session: StoredSession, fresh: MemoryMessage[]): string {
  const freshIds = new Set(fresh.map((m) => m.id));
  const firstFresh = session.messages.findIndex((m) => freshIds.has(m.id));
  const before = (firstFresh < 0 ? session.messages : session.messages.slice(0, firstFresh))
    .filter((m) => !freshIds.has(m.id))
    .slice(-BACKGROUND_MESSAGES);
  const parts = [
    ...(session.context ? [`Summary: ${session.context}`] : []),
    ...before.map((m) => `${timestampLabel(m.created_at)} ${m.role}: ${m.content}`),
  ];
  return parts.length ? parts.join('\n') : '(none)';
}

const userLabel = (key: SessionKey) =>
  key.user_id
    ? `the user with id "${key.user_id}" (call them by their name when the conversation gives it)`
    : 'the user (call them by their name when the conversation gives it)';

const numberOr = (v: unknown, fallback: number) => (typeof v === 'number' && v > 0 ? Math.floor(v) : fallback);
