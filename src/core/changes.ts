/** A memory or session that a write created, changed or deleted, with its owner so listeners can confine. */
export interface Change {
  resource: 'memory' | 'session';
  action: 'created' | 'updated' | 'deleted';
  id: string;
  namespace: string | null;
  user_id: string | null;
}

export type ChangeListener = (changes: Change[]) => void;

/**
 * The writes of this process, for live views (MCP resource notifications). Listeners run synchronously after the
 * write has landed and must not throw; a failing one is dropped from that delivery only.
 */
export class ChangeFeed {
  private readonly listeners = new Set<ChangeListener>();

  get listening(): boolean {
    return this.listeners.size > 0;
  }

  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(changes: Change[]): void {
    if (changes.length === 0) return;
    for (const l of this.listeners) {
      try {
        l(changes);
      } catch {
        // A live view's failure must never fail the write that already succeeded.
      }
    }
  }
}
