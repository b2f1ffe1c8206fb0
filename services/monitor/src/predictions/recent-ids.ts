/**
 * The ids of the last `capacity` events, oldest forgotten first. JetStream redelivers a message
 * whose ack was lost, and a summary counted twice would inflate every figure it holds.
 */
export class RecentIds {
  private readonly ids = new Set<string>();

  constructor(private readonly capacity: number) {}

  /** False when `id` was already seen (and is still remembered). */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.capacity) {
      const oldest = this.ids.values().next().value as string;
      this.ids.delete(oldest);
    }
    return true;
  }
}
