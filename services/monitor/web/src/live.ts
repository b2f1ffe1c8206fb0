import { useEffect, useState } from 'preact/hooks';
import type { ConsoleUpdate } from './api.js';

type Listener = (update: ConsoleUpdate) => void;

/**
 * One EventSource per page (GET /api/console/events), shared by every view: each view subscribes
 * with useLive and reads what it needs from every update. EventSource reconnects by itself.
 */
class LiveFeed {
  private source: EventSource | undefined;
  private readonly listeners = new Set<Listener>();
  private readonly stateListeners = new Set<(open: boolean) => void>();
  open = false;

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    this.connect();
    return () => this.listeners.delete(listener);
  }

  onState(listener: (open: boolean) => void): () => void {
    this.stateListeners.add(listener);
    this.connect();
    return () => this.stateListeners.delete(listener);
  }

  private connect(): void {
    if (this.source) return;
    this.source = new EventSource('/api/console/events');
    this.source.onopen = () => this.setOpen(true);
    this.source.onerror = () => this.setOpen(false);
    this.source.onmessage = (message) => {
      const update = JSON.parse(message.data as string) as ConsoleUpdate;
      for (const listener of this.listeners) listener(update);
    };
  }

  private setOpen(open: boolean): void {
    this.open = open;
    for (const listener of this.stateListeners) listener(open);
  }
}

export const feed = new LiveFeed();

/** Calls `listener` with every live update while the component is mounted. */
export function useLive(listener: Listener, deps: readonly unknown[]): void {
  useEffect(() => feed.subscribe(listener), deps);
}

/** Whether the live feed is connected. */
export function useLiveState(): boolean {
  const [open, setOpen] = useState(feed.open);
  useEffect(() => feed.onState(setOpen), []);
  return open;
}
