import type { ServerWritableStream } from '@grpc/grpc-js';
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { WRITE_WINDOW, writeAll } from './server-stream.js';

/** A call whose write callbacks fire only when the test flushes them. */
class HeldCall extends EventEmitter {
  cancelled = false;
  destroyed = false;
  readonly written: number[] = [];
  readonly pending: (() => void)[] = [];
  write(message: number, done: () => void): boolean {
    this.written.push(message);
    this.pending.push(done);
    return true;
  }
  flushOne(): void {
    this.pending.shift()?.();
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('writeAll', () => {
  it('pulls a message only while fewer than WRITE_WINDOW written ones are unflushed', async () => {
    const call = new HeldCall();
    let pulled = 0;
    async function* source() {
      for (let i = 0; i < 6; i++) {
        pulled++;
        yield i;
      }
    }
    const done = writeAll(call as unknown as ServerWritableStream<unknown, number>, source());
    await tick();
    expect(pulled).toBe(WRITE_WINDOW);
    call.flushOne();
    await tick();
    expect(pulled).toBe(WRITE_WINDOW + 1);
    while (call.pending.length) {
      call.flushOne();
      await tick();
    }
    await done;
    expect(call.written).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('stops pulling when the call is cancelled while it waits', async () => {
    const call = new HeldCall();
    let pulled = 0;
    async function* source() {
      for (;;) {
        pulled++;
        yield pulled;
      }
    }
    const done = writeAll(call as unknown as ServerWritableStream<unknown, number>, source());
    await tick();
    call.cancelled = true;
    call.emit('cancelled');
    await done;
    expect(pulled).toBe(WRITE_WINDOW);
    expect(call.listenerCount('cancelled')).toBe(0);
  });
});
