/**
 * A scripted summarizer for the fake LLM server: its "summary" is the exact set of message markers (m1, m2...) it
 * was given, directly or through the previous summary or the partial summaries, written as compact ranges
 * ("Covered: m1-m40 m42"). A marker missing from a later summary is a message the pipeline lost.
 */
import type { ChatCall } from '../helpers/fake-llm.js';

export const FOLD_MARKER = 'You keep the running summary';
export const REDUCE_MARKER = 'You combine partial summaries';

export const content = (i: number) =>
  `m${i} we talked about the garden, the weather, the neighbours, the new bakery on the corner and plans for the long weekend trip by train`;

/** Markers of the transcript lines in a call ("[2026-03-01 10:00 UTC (Sunday)] user: m17 ..."). */
export function messageMarkers(text: string): number[] {
  return [...text.matchAll(/\] (?:user|assistant): m(\d+) /g)].map((m) => Number(m[1]));
}

/** Markers named by a fake summary ("Covered: m1-m3 m7"). */
export function summaryMarkers(text: string): number[] {
  const out: number[] = [];
  for (const m of text.matchAll(/m(\d+)(?:-m(\d+))?/g)) {
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    for (let i = a; i <= b; i++) out.push(i);
  }
  return out;
}

export function ranges(markers: number[]): string {
  const sorted = [...new Set(markers)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `m${sorted[i]}` : `m${sorted[i]}-m${sorted[j]}`);
    i = j;
  }
  return `Covered: ${parts.join(' ')}`;
}

/** The previous-summary part of a fold call, and the transcript part. */
export function splitFoldCall(call: ChatCall): { previous: string; transcript: string } {
  const m =
    /Summary so far:\n([\s\S]*?)\n\nNew messages, oldest first:\n([\s\S]*?)\n\nWrite the updated summary\./.exec(
      call.user,
    );
  if (!m) throw new Error(`not a fold call: ${call.user.slice(0, 200)}`);
  return { previous: m[1]!, transcript: m[2]! };
}

/** Answers fold and reduce calls with the union of what they were given. */
export function summarizerResponder(call: ChatCall): string {
  if (call.system.includes(FOLD_MARKER)) {
    const { previous, transcript } = splitFoldCall(call);
    const prior = previous.startsWith('Covered:') ? summaryMarkers(previous) : [];
    return ranges([...prior, ...messageMarkers(transcript)]);
  }
  if (call.system.includes(REDUCE_MARKER)) return ranges(summaryMarkers(call.user.replace(/Part \d+ of \d+/g, '')));
  return '{"memories": []}';
}
