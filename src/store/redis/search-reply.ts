/** Readers for FT.SEARCH / FT.AGGREGATE replies (RESP2, the protocol the client asks for). */

/** `[total, key, key, …]` (NOCONTENT): the total and the memory ids. */
export function idsOf(reply: unknown[], memoryPrefix: string): { total: number; ids: string[] } {
  return { total: Number(reply[0]), ids: reply.slice(1).map((k) => String(k).slice(memoryPrefix.length)) };
}

export interface SearchRow {
  id: string;
  /** With WITHSCORES. */
  score: number;
  fields: Record<string, string>;
}

/** `[total, key, (score,) [field, value, …], …]` (RETURN, optionally WITHSCORES). */
export function rowsOf(
  reply: unknown[],
  memoryPrefix: string,
  withScores: boolean,
): { total: number; rows: SearchRow[] } {
  const rows: SearchRow[] = [];
  const step = withScores ? 3 : 2;
  for (let i = 1; i + step - 1 < reply.length; i += step) {
    const values = (reply[i + step - 1] as unknown[] | null) ?? [];
    const fields: Record<string, string> = {};
    for (let j = 0; j + 1 < values.length; j += 2) fields[String(values[j])] = String(values[j + 1]);
    rows.push({
      id: String(reply[i]).slice(memoryPrefix.length),
      score: withScores ? Number(reply[i + 1]) : 0,
      fields,
    });
  }
  return { total: Number(reply[0]), rows };
}

/** FT.AGGREGATE rows `[n, [field, value, …], …]`: the value of `field` in each row. */
export function aggregateField(reply: unknown[], field: string): string[] {
  return reply.slice(1).map((row) => {
    const values = row as unknown[];
    const at = values.findIndex((v) => String(v) === field);
    return String(values[at + 1]);
  });
}
