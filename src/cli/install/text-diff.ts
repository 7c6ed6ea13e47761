/**
 * A unified line diff for `install --dry-run`: what the file holds now (-) and after (+). Small files are shown
 * whole, so the servers that stay are visible; large ones (~/.claude.json keeps a lot) as hunks with context.
 */

type Op = { kind: ' ' | '-' | '+'; line: string };

/** Longest common subsequence on the part between the common head and tail (the changed part of a config). */
function lineOps(a: string[], b: string[]): Op[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const x = a.slice(head, a.length - tail);
  const y = b.slice(head, b.length - tail);
  const middle: Op[] = [];
  if (x.length * y.length > 4_000_000) {
    // Too big to align line by line: the whole changed part as removed, then added.
    middle.push(...x.map((line) => ({ kind: '-' as const, line })), ...y.map((line) => ({ kind: '+' as const, line })));
  } else {
    const n = x.length;
    const m = y.length;
    const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i]![j] = x[i] === y[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && x[i] === y[j]) {
        middle.push({ kind: ' ', line: x[i++]! });
        j++;
      } else if (i < n && (j === m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
        middle.push({ kind: '-', line: x[i++]! });
      } else {
        middle.push({ kind: '+', line: y[j++]! });
      }
    }
  }
  const same = (lines: string[]) => lines.map((line) => ({ kind: ' ' as const, line }));
  return [...same(a.slice(0, head)), ...middle, ...same(a.slice(a.length - tail))];
}

const splitLines = (text: string) => (text === '' ? [] : text.replace(/\n$/, '').split('\n'));

/** The diff of two texts, with `context` lines around changes (all lines when the file is short). */
export function unifiedDiff(before: string, after: string, labels: { from: string; to: string }, context = 3): string {
  const ops = lineOps(splitLines(before), splitLines(after));
  const whole = ops.length <= 200;
  const out = [`--- ${labels.from}`, `+++ ${labels.to}`];
  const changed = ops.map((o) => o.kind !== ' ');
  let lastShown = -1;
  for (let k = 0; k < ops.length; k++) {
    const near = whole || changed.slice(Math.max(0, k - context), k + context + 1).some(Boolean);
    if (!near) continue;
    if (lastShown >= 0 && k > lastShown + 1) out.push('@@ … @@');
    out.push(`${ops[k]!.kind}${ops[k]!.line}`);
    lastShown = k;
  }
  return `${out.join('\n')}\n`;
}
