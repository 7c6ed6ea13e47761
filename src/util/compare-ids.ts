/** Ids in code-unit order: the tie-break of every ranking, in the engine and in the stores. */
export const compareIds = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
