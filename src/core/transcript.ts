import type { MemoryMessage } from '../models/message.js';
import { countTokens } from './tokens.js';

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/**
 * "2026-05-01 14:03 UTC (Friday)": the date, time and weekday spelled out so a model can turn "yesterday" or
 * "next Friday" in a message into an absolute date without computing a calendar itself.
 */
export function timestampLabel(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const text = d.toISOString();
  return `${text.slice(0, 10)} ${text.slice(11, 16)} UTC (${WEEKDAYS[d.getUTCDay()]})`;
}

/** One message as a transcript line, with its time. */
export const messageLine = (m: Pick<MemoryMessage, 'role' | 'content' | 'created_at'>) =>
  `[${timestampLabel(m.created_at)}] ${m.role}: ${m.content}`;

/**
 * Cuts text into pieces of at most `maxTokens`, at whitespace near the middle when there is some, so an oversized
 * message is summarized in parts rather than dropped.
 */
export function splitToFit(text: string, maxTokens: number): string[] {
  if (text.length <= maxTokens || countTokens(text) <= maxTokens) return [text];
  const middle = Math.floor(text.length / 2);
  const space = text.lastIndexOf(' ', middle);
  const at = space > text.length / 4 ? space : middle;
  return [...splitToFit(text.slice(0, at), maxTokens), ...splitToFit(text.slice(at), maxTokens)];
}

/** Consecutive groups, in order, each at most `budget` tokens (the first at most `firstBudget`). */
export function groupByTokens(items: string[], budget: number, firstBudget = budget): string[][] {
  const groups: string[][] = [];
  let current: string[] = [];
  let used = 0;
  for (const item of items) {
    // +1: the newline that joins items.
    const t = countTokens(item) + 1;
    const limit = groups.length === 0 ? firstBudget : budget;
    if (current.length > 0 && used + t > limit) {
      groups.push(current);
      current = [];
      used = 0;
    }
    current.push(item);
    used += t;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

export const tokensOfAll = (items: string[]) => items.reduce((n, s) => n + countTokens(s) + 1, 0);
