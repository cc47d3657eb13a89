/**
 * In-process notifications of published-content changes, so caches of what sites serve are
 * invalidated exactly on every write. (Across instances, see the cache's generation check.)
 */
export type ChangeListener = (projectId: string, path: string) => void;

export class ChangeBus {
  private readonly listeners: ChangeListener[] = [];
  on(l: ChangeListener): void {
    this.listeners.push(l);
  }
  pageChanged(projectId: string, slug: string): void {
    for (const l of this.listeners) l(projectId, slug);
  }
  assetChanged(projectId: string, slug: string): void {
    for (const l of this.listeners) l(projectId, slug);
  }
}
