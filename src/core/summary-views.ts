import { describeZodIssues, invalid, MemoryError, notFound } from '../errors.js';
import type { ChatModel } from '../llm/chat-model.js';
import type { ChatModels } from '../llm/make-chat.js';
import type { PromptLibrary } from '../llm/prompts.js';
import { isoOf } from '../models/common.js';
import type { MemoryFilter, StoreFilter, TagFilter } from '../models/filters.js';
import type { MemoryRecord } from '../models/memory-record.js';
import {
  CreateSummaryViewRequest,
  RunSummaryViewPartitionRequest,
  RunSummaryViewRequest,
  type SummaryView,
  SummaryViewPartitionQuery,
  type SummaryViewPartitionResult,
} from '../models/summary-view.js';
import type { MemoryStore } from '../store/port.js';
import { partitionKey, type StoredPartition, type StoredSummaryView } from '../store/summary-views.js';
import type { EnqueueOptions, TaskRecord } from '../store/tasks.js';
import { ulid } from '../util/ulid.js';
import { TASK, type TaskView, taskView } from './background.js';
import { toStoreFilter } from './filters.js';
import { memoryPages } from './memory-pages.js';
import { contextWindowFor } from './model-windows.js';
import { promptInjectionFindings } from './prompt-guard.js';
import { countTokens } from './tokens.js';
import { splitToFit, timestampLabel } from './transcript.js';

const DAY_MS = 86_400_000;
/** The summary's length cap per call, in tokens (a fifth of a small model's window at most). */
const SUMMARY_TOKENS = 600;
/** Words per token of English prose, roughly: the prompt speaks in words, the budget in tokens. */
const WORDS_PER_TOKEN = 0.7;
/** Memories read per getMemories call while folding a partition. */
const READ_BATCH = 200;
export const EMPTY_REASON = 'no_matching_memories';

/** What REST (and the confined facade) call; `raw` bodies are validated here as well as by the routes. */
export interface SummaryViewsApi {
  create(raw: unknown): Promise<SummaryView>;
  list(): Promise<SummaryView[]>;
  /** MemoryError('not_found') when unknown. */
  get(id: string): Promise<SummaryView>;
  /** Deletes the view and its stored partition results; false when there was none. */
  delete(id: string): Promise<boolean>;
  /** Summarizes one partition now (`{group}`), stores the result and returns it. */
  runPartition(id: string, raw: unknown): Promise<SummaryViewPartitionResult>;
  /** Stored partition results, filtered by group values (`{user_id?, namespace?, session_id?, memory_type?}`). */
  partitions(id: string, query: unknown): Promise<SummaryViewPartitionResult[]>;
  /** Queues a run over every partition (`{task_id?, force?}`) as a durable task. */
  run(id: string, raw: unknown): Promise<TaskView>;
}

export interface SummaryViewDeps {
  store: MemoryStore;
  chat: ChatModels;
  /** The configured model names (FAST_MODEL, GENERATION_MODEL), which `model_name` may choose between. */
  modelNames: { fast: string; generation: string };
  prompts: PromptLibrary;
  enqueue: (opts: Omit<EnqueueOptions, 'maxAttempts'>) => Promise<TaskRecord>;
  /** SUMMARY_VIEW_REFRESH_EVERY_MINUTES: the period of continuous views. */
  refreshEveryMinutes: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The single value a filter pins a field to (`{eq: v}` and nothing else), else null. */
const pinnedValue = (f: unknown): string | null =>
  isObject(f) && Object.keys(f).length === 1 && typeof f.eq === 'string' ? f.eq : null;

/**
 * The namespace and user a view's filters pin it to, null for a field they leave open. A confined caller sees a
 * view only when it is pinned to the caller's own namespace (and user), so every partition lies in its scope.
 */
export function viewScope(view: Pick<SummaryView, 'filters'>): { namespace: string | null; user_id: string | null } {
  return { namespace: pinnedValue(view.filters.namespace), user_id: pinnedValue(view.filters.user_id) };
}

function parse<T>(
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: unknown } },
  raw: unknown,
  where: string,
): T {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const issues = (r.error as { issues: { path: PropertyKey[]; message: string }[] }).issues;
  throw invalid(`Invalid ${where}: ${describeZodIssues(issues)}`);
}

const toView = (v: StoredSummaryView): SummaryView => ({
  id: v.id,
  name: v.name,
  source: v.source,
  group_by: v.group_by as SummaryView['group_by'],
  filters: v.filters,
  time_window_days: v.time_window_days,
  continuous: v.continuous,
  prompt: v.prompt,
  model_name: v.model_name,
  created_at: isoOf(v.created_at),
});

const toResult = (p: StoredPartition): SummaryViewPartitionResult => ({ ...p, computed_at: isoOf(p.computed_at) });

/** A memory as the prompt lists it: its time (and event date) first, so the model never guesses dates. */
function memoryLine(r: MemoryRecord): string {
  const event = r.event_date ? ` (event: ${timestampLabel(r.event_date)})` : '';
  return `- [${timestampLabel(r.created_at)}]${event} ${r.text}`;
}

/**
 * Summary views (the reference server's SummaryView): named groupings of long-term memories by some of user_id,
 * namespace, session_id and memory_type, with static filters and a time window; each partition (one combination
 * of group values) is summarized by the LLM, on request or by a background run over all of them.
 */
export class SummaryViews implements SummaryViewsApi {
  constructor(private readonly deps: SummaryViewDeps) {}

  private get store() {
    return this.deps.store.summaryViews;
  }

  async create(raw: unknown): Promise<SummaryView> {
    const req = parse(CreateSummaryViewRequest, raw, 'summary view');
    if (req.source !== 'long_term') {
      throw invalid(
        'source: only "long_term" is supported; summary views over working memory are not available in this server.',
      );
    }
    const prompt = req.prompt ?? null;
    if (prompt) {
      const findings = promptInjectionFindings(prompt);
      if (findings.length) throw invalid(`prompt: refused because ${findings.join('; ')}`);
    }
    const model = req.model_name ?? null;
    const { fast, generation } = this.deps.modelNames;
    if (model !== null && model !== fast && model !== generation) {
      throw invalid(
        `model_name: "${model}" is not a model this server is configured with; use FAST_MODEL ("${fast}", the ` +
          `default) or GENERATION_MODEL ("${generation}"), or leave it out.`,
      );
    }
    const filters = req.filters ?? {};
    toStoreFilter(filters); // refuses unreadable dates now, not at the first run
    const view: StoredSummaryView = {
      id: ulid(),
      name: req.name ?? null,
      source: 'long_term',
      group_by: req.group_by,
      filters,
      time_window_days: req.time_window_days ?? null,
      continuous: req.continuous,
      prompt,
      model_name: model,
      created_at: Date.now(),
    };
    // A view the server is to refresh by itself needs an LLM now: a 503 rather than a schedule that only fails.
    if (view.continuous) this.model(view);
    await this.store.putView(view);
    if (view.continuous) await this.scheduleRefresh(view, Date.now());
    return toView(view);
  }

  async list(): Promise<SummaryView[]> {
    return (await this.store.listViews()).map(toView);
  }

  async get(id: string): Promise<SummaryView> {
    return toView(await this.stored(id));
  }

  delete(id: string): Promise<boolean> {
    return this.store.deleteView(id);
  }

  async runPartition(id: string, raw: unknown): Promise<SummaryViewPartitionResult> {
    const view = await this.stored(id);
    const { group } = parse(RunSummaryViewPartitionRequest, raw, 'body');
    const given = Object.keys(group).sort();
    const expected = [...view.group_by].sort();
    if (given.join('\n') !== expected.join('\n')) {
      throw invalid(
        `group: its keys ${JSON.stringify(given)} must be exactly the view's group_by ${JSON.stringify(expected)}.`,
      );
    }
    const result = await this.summarize(view, group, this.model(view), Date.now());
    if (!(await this.store.putPartition(result))) throw notFound(`No summary view with id "${id}" (it was deleted).`);
    return toResult(result);
  }

  async partitions(id: string, query: unknown): Promise<SummaryViewPartitionResult[]> {
    await this.stored(id);
    const filter = parse(SummaryViewPartitionQuery, query ?? {}, 'query');
    return (await this.store.listPartitions(id, filter)).map(toResult);
  }

  async run(id: string, raw: unknown): Promise<TaskView> {
    const view = await this.stored(id);
    const body = parse(RunSummaryViewRequest, raw ?? {}, 'body');
    this.model(view); // no LLM: a 503 now, rather than a task that can only fail
    const scope = viewScope(view);
    const task = await this.deps.enqueue({
      ...(body.task_id ? { id: body.task_id } : {}),
      kind: TASK.summaryView,
      payload: { view_id: view.id, namespace: scope.namespace, user_id: scope.user_id },
      runAt: Date.now(),
    });
    return taskView(task);
  }

  /** Queues the next refresh of a continuous view (at most one pending, whatever the number of servers). */
  private scheduleRefresh(view: StoredSummaryView, runAt: number) {
    const scope = viewScope(view);
    return this.deps.enqueue({
      kind: TASK.summaryView,
      payload: { view_id: view.id, namespace: scope.namespace, user_id: scope.user_id, continuous: true },
      runAt,
      dedupeKey: `${TASK.summaryView}:continuous:${view.id}`,
      onDuplicate: 'keep',
    });
  }

  /**
   * The task handler: a run asked for by POST …/run, or a continuous view's refresh, which queues the next one
   * SUMMARY_VIEW_REFRESH_EVERY_MINUTES later (after its last attempt too, so a failing model does not end the
   * schedule) and stops quietly once the view is gone.
   */
  async runTask(task: TaskRecord, signal?: AbortSignal) {
    const viewId = String(task.payload.view_id);
    if (task.payload.continuous !== true) return this.runAll(viewId, signal);
    const view = await this.store.getView(viewId);
    if (!view?.continuous) return { status: 'skipped', reason: 'the view was deleted; its refresh schedule ends' };
    // From the later of now and when this run was due: no burst of catch-up runs after a stop.
    const next = () =>
      this.scheduleRefresh(view, Math.max(Date.now(), task.run_at) + this.deps.refreshEveryMinutes * 60_000);
    try {
      const report = await this.runAll(viewId, signal);
      await next();
      return report;
    } catch (err) {
      if (task.attempts >= task.max_attempts && !signal?.aborted) await next();
      throw err;
    }
  }

  /**
   * The background run (TASK.summaryView): every partition that has memories now, and every partition stored
   * before (recomputed, so one whose memories are gone becomes empty). Memories are paged, only group values are
   * held while listing, and each partition is read again when summarized.
   */
  async runAll(viewId: string, signal?: AbortSignal) {
    const view = await this.store.getView(viewId);
    if (!view) throw notFound(`No summary view with id "${viewId}": it was deleted before its run.`);
    const chat = this.model(view);
    const now = Date.now();
    const groups = new Map<string, Record<string, string>>();
    const filter = this.viewFilter(view, view.filters, now);
    for await (const page of memoryPages(this.deps.store, filter)) {
      for (const record of page) {
        const group = groupOf(view, record);
        if (group) groups.set(partitionKey(group), group);
      }
    }
    for (const stored of await this.store.listPartitions(view.id, {}))
      groups.set(partitionKey(stored.group), stored.group);
    let memories = 0;
    let empty = 0;
    for (const group of [...groups.keys()].sort().map((k) => groups.get(k)!)) {
      if (signal?.aborted) throw new Error('stopped by shutdown before every partition was summarized; it runs again');
      const result = await this.summarize(view, group, chat, now);
      if (!(await this.store.putPartition(result))) {
        return { status: 'skipped', reason: 'the view was deleted during the run', partitions: groups.size };
      }
      memories += result.memory_count;
      if (result.empty) empty += 1;
    }
    return { status: 'done', partitions: groups.size, empty_partitions: empty, memories };
  }

  /**
   * Erasing a user: views pinned to them go, and every stored partition summary that may hold their memories
   * (grouped by them, or not grouped by user at all, in the namespace erased in) is deleted; a later run recomputes
   * what remains. Returns the counts.
   */
  async eraseUser(userId: string, namespace: string | undefined) {
    let views = 0;
    let partitions = 0;
    for (const view of await this.store.listViews()) {
      const pinned = viewScope(view);
      const inNamespace = (ns: string | null | undefined) => namespace === undefined || !ns || ns === namespace;
      if (pinned.user_id !== null && pinned.user_id !== userId) continue;
      if (!inNamespace(pinned.namespace)) continue;
      if (pinned.user_id === userId && (namespace === undefined || pinned.namespace === namespace)) {
        partitions += (await this.store.listPartitions(view.id, {})).length;
        if (await this.store.deleteView(view.id)) views += 1;
        continue;
      }
      const doomed = (await this.store.listPartitions(view.id, {}))
        .filter((p) => (p.group.user_id === undefined || p.group.user_id === userId) && inNamespace(p.group.namespace))
        .map((p) => p.group);
      partitions += await this.store.deletePartitions(view.id, doomed);
    }
    return { summary_views: views, summary_partitions: partitions };
  }

  private async stored(id: string): Promise<StoredSummaryView> {
    const view = await this.store.getView(id);
    if (!view) throw notFound(`No summary view with id "${id}".`);
    return view;
  }

  /** The chat model a view summarizes with: its model_name, else FAST_MODEL (the generation model without one). */
  private model(view: StoredSummaryView): ChatModel {
    const { fast, generation, unavailableReason } = this.deps.chat;
    if (!fast && !generation) {
      throw new MemoryError(
        'unavailable',
        `Summary views need an LLM, and ${unavailableReason ?? 'no LLM is configured'}. Set OPENAI_API_KEY, ` +
          'OPENAI_API_BASE or ANTHROPIC_API_KEY for GENERATION_MODEL and FAST_MODEL, then restart.',
      );
    }
    if (view.model_name === null) return (fast ?? generation)!;
    const chosen =
      view.model_name === this.deps.modelNames.fast
        ? fast
        : view.model_name === this.deps.modelNames.generation
          ? generation
          : null;
    if (!chosen) {
      throw new MemoryError(
        'unavailable',
        `This view summarizes with model_name "${view.model_name}", which this server is not configured with ` +
          `(FAST_MODEL "${this.deps.modelNames.fast}", GENERATION_MODEL "${this.deps.modelNames.generation}").`,
      );
    }
    return chosen;
  }

  /** The store filter of a view's filters (plus a group's values) and its time window, as of `now`. */
  private viewFilter(view: StoredSummaryView, filters: Record<string, unknown>, now: number): StoreFilter {
    const filter = toStoreFilter(filters as Partial<MemoryFilter>);
    if (view.time_window_days !== null) {
      const cutoff = now - view.time_window_days * DAY_MS;
      const created = filter.times.created_at ?? {};
      filter.times.created_at = { ...created, gte: Math.max(created.gte ?? cutoff, cutoff) };
    }
    return filter;
  }

  /** One partition: its memories oldest first, folded into a running summary a budget-sized chunk at a time. */
  private async summarize(
    view: StoredSummaryView,
    group: Record<string, string>,
    chat: ChatModel,
    now: number,
  ): Promise<StoredPartition> {
    const filters = withGroup(view.filters, group);
    const ids: string[] = [];
    if (filters)
      for await (const page of memoryPages(this.deps.store, this.viewFilter(view, filters, now)))
        for (const r of page) ids.push(r.id);
    const base = { view_id: view.id, group, computed_at: Date.now() };
    if (!ids.length) return { ...base, summary: '', memory_count: 0, empty: true, empty_reason: EMPTY_REASON };
    ids.reverse();
    const b = this.budgets(view, chat);
    let summary: string | null = null;
    let chunk: string[] = [];
    let chunkTokens = 0;
    let count = 0;
    for (let i = 0; i < ids.length; i += READ_BATCH) {
      for (const record of await this.deps.store.getMemories(ids.slice(i, i + READ_BATCH))) {
        count += 1;
        for (const line of splitToFit(memoryLine(record), Math.floor(b.input / 2))) {
          const tokens = countTokens(line) + 1;
          const room = b.input - (summary ? countTokens(summary) : 0);
          if (chunk.length && chunkTokens + tokens > room) {
            summary = await this.fold(view, group, chat, summary, chunk, b.output);
            chunk = [];
            chunkTokens = 0;
          }
          chunk.push(line);
          chunkTokens += tokens;
        }
      }
    }
    // Every memory was deleted between listing and reading.
    if (!chunk.length && summary === null) {
      return { ...base, summary: '', memory_count: 0, empty: true, empty_reason: EMPTY_REASON };
    }
    if (chunk.length) summary = await this.fold(view, group, chat, summary, chunk, b.output);
    return {
      ...base,
      computed_at: Date.now(),
      summary: summary!,
      memory_count: count,
      empty: false,
      empty_reason: null,
    };
  }

  private render(
    view: StoredSummaryView,
    vars: { group: string; max_words: number; previous_summary: string; memories: string },
  ) {
    const instructions = view.prompt ? `\nInstructions for this view, within the rules above:\n${view.prompt}` : '';
    return this.deps.prompts.render('summary-view', { ...vars, instructions });
  }

  /** Output cap and input budget (summary so far + memories) per call, from the model's window. */
  private budgets(view: StoredSummaryView, chat: ChatModel) {
    const window = contextWindowFor(chat.model);
    const empty = this.render(view, { group: '', max_words: 0, previous_summary: '', memories: '' });
    const overhead = countTokens(`${empty.system}\n${empty.user}`) + 64;
    // 10% margin: other models' tokenizers count differently from cl100k.
    const available = Math.floor(window * 0.9) - overhead;
    const output = Math.max(32, Math.min(SUMMARY_TOKENS, Math.floor(available / 5)));
    const input = available - Math.ceil(output * 1.5);
    if (input < 200) {
      throw new MemoryError(
        'unavailable',
        `The model ${chat.model} has a context window of ${window} tokens, too small to summarize a view; set MODEL_CONTEXT_WINDOWS or use a larger model.`,
      );
    }
    return { input, output };
  }

  private async fold(
    view: StoredSummaryView,
    group: Record<string, string>,
    chat: ChatModel,
    previous: string | null,
    lines: string[],
    maxTokens: number,
  ): Promise<string> {
    const prompt = this.render(view, {
      group: JSON.stringify(group),
      max_words: Math.floor(maxTokens * WORDS_PER_TOKEN),
      previous_summary: previous ?? '(none: these are the oldest memories of the group)',
      memories: lines.join('\n'),
    });
    let text: string;
    try {
      ({ text } = await chat.complete({
        system: prompt.system,
        messages: [{ role: 'user', content: prompt.user }],
        maxTokens,
        purpose: 'summary-view',
      }));
    } catch (err) {
      if (err instanceof MemoryError) throw err;
      throw new MemoryError(
        'unavailable',
        `Summarizing with ${chat.model} failed: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    const summary = text.trim();
    if (!summary) throw new MemoryError('unavailable', `${chat.model} returned an empty summary`);
    // A server that ignores max_tokens could grow the running summary past the budget; cut a runaway reply.
    const limit = Math.ceil(maxTokens * 1.5);
    let cut = summary;
    while (countTokens(cut) > limit) cut = cut.slice(0, Math.floor(cut.length * 0.9));
    return cut;
  }
}

/** A memory's values for the view's group_by fields; null when one is missing (such memories are in no partition). */
function groupOf(view: StoredSummaryView, r: MemoryRecord): Record<string, string> | null {
  const group: Record<string, string> = {};
  for (const field of view.group_by) {
    const value = r[field as keyof MemoryRecord];
    if (typeof value !== 'string' || value === '') return null;
    group[field] = value;
  }
  return group;
}

/**
 * The view's filters narrowed to one group: each group value is an `eq` next to the view's own operators on that
 * field (they combine with AND); null when the view's filter pins the field to another value (an empty partition).
 */
function withGroup(filters: Record<string, unknown>, group: Record<string, string>): Record<string, unknown> | null {
  const out: Record<string, unknown> = { ...filters };
  for (const [field, value] of Object.entries(group)) {
    const own = out[field] as TagFilter | undefined;
    if (own?.eq !== undefined && own.eq !== value) return null;
    out[field] = { ...own, eq: value };
  }
  return out;
}
