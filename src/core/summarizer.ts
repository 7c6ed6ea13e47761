import { MemoryError } from '../errors.js';
import type { ChatModel } from '../llm/chat-model.js';
import type { PromptLibrary } from '../llm/prompts.js';
import type { MemoryMessage } from '../models/message.js';
import { log } from '../util/log.js';
import { countTokens } from './tokens.js';
import { groupByTokens, messageLine, splitToFit, tokensOfAll } from './transcript.js';

const NO_SUMMARY = '(none yet)';
const CONTINUED = '(none: these messages continue an earlier part of the conversation, summarized separately)';
const MAX_DEPTH = 8;

/** Words per token of English prose, roughly: the prompts speak in words, the budgets in tokens. */
const WORDS_PER_TOKEN = 0.7;

/**
 * Recursive summarization with the generation model. Input is chronological, the previous summary first; when it
 * does not fit the summarizer's own window it is summarized in chunks, and the chunk summaries are summarized in
 * turn until one remains. Nothing is dropped: an oversized message is split, never truncated.
 */
export class Summarizer {
  constructor(
    private readonly chat: ChatModel,
    private readonly prompts: PromptLibrary,
    /** The summarizer's own context window (MODEL_CONTEXT_WINDOWS or the table). */
    private readonly modelWindow: number,
  ) {}

  /** The new running summary: `previous` with `messages` (oldest first) folded in, at most about `maxTokens`. */
  async summarize(previous: string | null, messages: MemoryMessage[], maxTokens: number): Promise<string> {
    const b = this.budgets(maxTokens);
    const half = Math.floor(b.input / 2);
    const lines = messages.flatMap((m) => splitToFit(messageLine(m), half));
    let prev = previous?.trim() || null;
    if (prev && countTokens(prev) > half) prev = await this.condense([prev], b, 0);
    if (lines.length === 0) return prev ? this.condense([prev], b, 0) : '';
    const prevTokens = prev ? countTokens(prev) : 0;
    if (prevTokens + tokensOfAll(lines) <= b.input) return this.fold(prev ?? NO_SUMMARY, lines, b);
    const chunks = groupByTokens(lines, b.input, b.input - prevTokens);
    const partials = await Promise.all(
      chunks.map((chunk, i) => this.fold(i === 0 ? (prev ?? NO_SUMMARY) : CONTINUED, chunk, b)),
    );
    return this.condense(partials, b, 0);
  }

  /** Output cap and input budget per call, from the summarizer's window. */
  private budgets(maxTokens: number) {
    const overhead =
      countTokens(
        Object.values(this.prompts.render('summarize', { max_words: 0, previous_summary: '', messages: '' })).join(
          '\n',
        ),
      ) + 32;
    // 10% margin: other models' tokenizers count differently from cl100k.
    const available = Math.floor(this.modelWindow * 0.9) - overhead;
    // At most a fifth of the call for output, so every reduce step merges at least two summaries and shrinks.
    const output = Math.max(32, Math.min(maxTokens, Math.floor(available / 5)));
    const input = available - output;
    if (input < 200) {
      throw new MemoryError(
        'unavailable',
        `The summarization model ${this.chat.model} has a context window of ${this.modelWindow} tokens, too small to summarize; set MODEL_CONTEXT_WINDOWS or use a larger model.`,
      );
    }
    return { input, output };
  }

  private fold(previous: string, lines: string[], b: { output: number }): Promise<string> {
    const prompt = this.prompts.render('summarize', {
      max_words: Math.floor(b.output * WORDS_PER_TOKEN),
      previous_summary: previous,
      messages: lines.join('\n'),
    });
    return this.call(prompt, b.output, 'summarize');
  }

  /** Summarizes summaries (oldest first) until one remains that fits the output cap. */
  private async condense(texts: string[], b: { input: number; output: number }, depth: number): Promise<string> {
    // Within the runaway allowance of call(): asking again would not make it shorter.
    const fits = (t: string) => countTokens(t) <= Math.ceil(b.output * 1.5);
    const pieces = texts.flatMap((t) => splitToFit(t, Math.floor(b.input / 2)));
    if (pieces.length === 1 && fits(pieces[0]!)) return pieces[0]!;
    if (depth >= MAX_DEPTH) {
      throw new MemoryError('unavailable', `Summaries by ${this.chat.model} did not get shorter after ${depth} rounds`);
    }
    const groups = tokensOfAll(pieces) <= b.input ? [pieces] : groupByTokens(pieces, b.input);
    const partials = await Promise.all(
      groups.map((g) => {
        if (g.length === 1 && fits(g[0]!)) return g[0]!;
        const summaries = g.map((s, i) => `Part ${i + 1} of ${g.length}${i === 0 ? ' (oldest)' : ''}:\n${s}`);
        const prompt = this.prompts.render('summarize-summaries', {
          max_words: Math.floor(b.output * WORDS_PER_TOKEN),
          summaries: summaries.join('\n\n'),
        });
        return this.call(prompt, b.output, 'summarize-summaries');
      }),
    );
    return partials.length === 1 && fits(partials[0]!) ? partials[0]! : this.condense(partials, b, depth + 1);
  }

  private async call(prompt: { system: string; user: string }, maxTokens: number, purpose: string): Promise<string> {
    const { text } = await this.chat.complete({
      system: prompt.system,
      messages: [{ role: 'user', content: prompt.user }],
      maxTokens,
      purpose,
    });
    const summary = text.trim();
    if (!summary) throw new MemoryError('unavailable', `${this.chat.model} returned an empty summary`);
    // Servers that ignore max_tokens could grow summaries without bound; cut a runaway reply, loudly.
    const limit = Math.ceil(maxTokens * 1.5);
    const tokens = countTokens(summary);
    if (tokens <= limit) return summary;
    log.warn('summary longer than asked; cutting it', { model: this.chat.model, tokens, limit });
    let cut = summary.slice(0, Math.floor((summary.length * limit) / tokens));
    while (countTokens(cut) > limit) cut = cut.slice(0, Math.floor(cut.length * 0.9));
    return cut;
  }
}
