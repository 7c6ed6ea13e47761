import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../config.js';
import { log } from '../util/log.js';

export type PromptName =
  | 'summarize'
  | 'summarize-summaries'
  | 'extraction-grounding'
  | 'extraction-format'
  | 'extract-discrete'
  | 'extract-summary'
  | 'extract-preferences'
  | 'extract-custom'
  | 'enrich'
  | 'merge'
  | 'rewrite-query'
  | 'summary-view';

export interface RenderedPrompt {
  system: string;
  /** Empty when the template has no `--- user ---` part. */
  user: string;
}

const USER_MARKER = /^--- user ---[ \t]*$/m;
const PLACEHOLDER = /\{\{\s*([a-z_]+)\s*\}\}/g;

const placeholders = (text: string) => new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1]!));

/** The `prompts/` directory shipped with the package: found upwards from this file, in src/ and in dist/ alike. */
export function bundledPromptsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'prompts');
    if (existsSync(join(candidate, 'summarize.txt'))) return candidate;
    dir = dirname(dir);
  }
  throw new Error('The bundled prompts/ directory is missing from this installation of agent-memory');
}

/**
 * Prompt templates: the bundled ones, each replaceable by a file of the same name in PROMPTS_DIR. Overrides are
 * checked when loaded, so a typo in a placeholder fails at start-up rather than in a background task at 3 a.m.
 */
export class PromptLibrary {
  private readonly templates = new Map<string, string>();

  constructor(overrideDir?: string) {
    const bundled = bundledPromptsDir();
    for (const file of readdirSync(bundled).filter((f) => f.endsWith('.txt'))) {
      this.templates.set(file.slice(0, -4), readFileSync(join(bundled, file), 'utf8'));
    }
    if (overrideDir) this.loadOverrides(resolve(overrideDir));
  }

  private loadOverrides(dir: string): void {
    if (!existsSync(dir)) throw new ConfigError(`Invalid configuration:\n  PROMPTS_DIR=${dir}: no such directory`);
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.txt'))) {
      const name = file.slice(0, -4);
      const original = this.templates.get(name);
      if (original === undefined) {
        log.warn('PROMPTS_DIR: ignoring a file that is not a known prompt', {
          file,
          known: [...this.templates.keys()],
        });
        continue;
      }
      const text = readFileSync(join(dir, file), 'utf8');
      const allowed = placeholders(original);
      const unknown = [...placeholders(text)].filter((p) => !allowed.has(p));
      if (unknown.length) {
        throw new ConfigError(
          `Invalid configuration:\n  PROMPTS_DIR=${dir}: ${file} uses ${unknown.map((p) => `{{${p}}}`).join(', ')}; ` +
            `${name} can use ${[...allowed].map((p) => `{{${p}}}`).join(', ') || 'no placeholders'}`,
        );
      }
      const dropped = [...allowed].filter((p) => !placeholders(text).has(p));
      if (dropped.length) log.warn('PROMPTS_DIR: an overridden prompt leaves out placeholders', { file, dropped });
      this.templates.set(name, text);
    }
  }

  /**
   * Fills the placeholders in one pass, so values (user text) containing `{{...}}` are never expanded. The template
   * is split before filling, so a value containing the `--- user ---` line cannot move text into the system prompt.
   */
  render(name: PromptName, vars: Record<string, string | number>): RenderedPrompt {
    const template = this.templates.get(name);
    if (template === undefined) throw new Error(`No prompt template named ${name}`);
    const fill = (part: string) =>
      part
        .replace(PLACEHOLDER, (_, key: string) => {
          const value = vars[key];
          if (value === undefined) throw new Error(`Prompt ${name} needs a value for {{${key}}}`);
          return String(value);
        })
        .trim();
    const marker = USER_MARKER.exec(template);
    if (!marker) return { system: fill(template), user: '' };
    return {
      system: fill(template.slice(0, marker.index)),
      user: fill(template.slice(marker.index + marker[0].length)),
    };
  }

  /** A template rendered as one block of text (the shared parts of the extraction prompts). */
  text(name: PromptName, vars: Record<string, string | number> = {}): string {
    return this.render(name, vars).system;
  }
}
