export const DEFAULT_CONTEXT_WINDOW = 16_000;

/** Context windows by model-name prefix; the longest matching prefix wins, so dated snapshots inherit. */
const WINDOWS: ReadonlyArray<readonly [string, number]> = [
  // Plain "gpt-3.5-turbo" stays 4096 as in the reference server; the later snapshots really have 16k.
  ['gpt-3.5-turbo', 4096],
  ['gpt-3.5-turbo-16k', 16_385],
  ['gpt-3.5-turbo-0125', 16_385],
  ['gpt-3.5-turbo-1106', 16_385],
  ['gpt-4', 8192],
  ['gpt-4-32k', 32_768],
  ['gpt-4-turbo', 128_000],
  ['gpt-4-0125-preview', 128_000],
  ['gpt-4-1106-preview', 128_000],
  ['gpt-4o', 128_000],
  ['gpt-4o-mini', 128_000],
  ['chatgpt-4o', 128_000],
  ['gpt-4.1', 1_047_576],
  ['gpt-4.5', 128_000],
  ['gpt-5', 400_000],
  ['gpt-5-chat', 128_000],
  ['o1', 200_000],
  ['o1-mini', 128_000],
  ['o1-preview', 128_000],
  ['o3', 200_000],
  ['o4-mini', 200_000],
  ['claude-3', 200_000],
  ['claude-4', 200_000],
  ['claude-sonnet-4', 200_000],
  ['claude-opus-4', 200_000],
  ['claude-haiku-4', 200_000],
];
const byLength = (entries: ReadonlyArray<readonly [string, number]>) =>
  [...entries].sort((a, b) => b[0].length - a[0].length);
const BY_LENGTH = byLength(WINDOWS);

/**
 * MODEL_CONTEXT_WINDOWS, set once by the engine from its configuration. Process-wide because the window is read
 * from places that have no configuration at hand (prompt composition, the summarizer's own window).
 */
let overrides: ReadonlyArray<readonly [string, number]> = [];

/** Installs `{"model-name": tokens}` overrides; they are matched like the table (longest prefix) and win over it. */
export function setModelContextWindows(windows: Record<string, number>): void {
  overrides = byLength(Object.entries(windows).map(([name, tokens]) => [name.trim().toLowerCase(), tokens] as const));
}

/** An explicit maximum wins, then MODEL_CONTEXT_WINDOWS, then the table, then DEFAULT_CONTEXT_WINDOW. */
export function contextWindowFor(modelName?: string, contextWindowMax?: number): number {
  if (contextWindowMax !== undefined && contextWindowMax > 0) return contextWindowMax;
  if (modelName) {
    const full = modelName.trim().toLowerCase();
    // Routers name models "openai/gpt-4o" or "anthropic/claude-3-opus"; the last segment is the model.
    const name = full.split('/').pop() ?? '';
    for (const [prefix, window] of overrides) if (full.startsWith(prefix) || name.startsWith(prefix)) return window;
    for (const [prefix, window] of BY_LENGTH) if (name.startsWith(prefix)) return window;
  }
  return DEFAULT_CONTEXT_WINDOW;
}
