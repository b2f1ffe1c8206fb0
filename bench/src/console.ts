import { encodeEnvelope, makeEnvelope, subjects, type EventData } from '@aimass/contracts';
import { freePort, makeScratchDir, startNatsServer, startService } from '@aimass/testing';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { createServer } from 'node:http';
import { chromium, type Browser } from 'playwright-core';
import { median, positiveInt, printTable, type Benchmark } from './benchmark.js';

const CHROMIUM = '/usr/bin/chromium';
const SELECTED = 20;

/**
 * The console's Training view with many runs in the streams: R runs of E epochs each are published
 * straight into JetStream as the trainer's progress events (AIMASS_EVENTS), a real monitor reads
 * them, then headless Chromium opens the Training view with 20 runs selected. First paint = from
 * navigation start until every curve chart has drawn (the view's `console:training-painted` mark).
 * Baseline, in the same browser: a blank page's load (navigation start to loadEventEnd), served
 * over HTTP on loopback. Median over --rounds (default 5), each in a fresh browser context.
 */
const bench: Benchmark = {
  description: 'console Training view first paint (200 runs x 1000 epochs, 20 selected) vs a blank page',
  options: { runs: { type: 'string' }, epochs: { type: 'string' }, rounds: { type: 'string' } },
  async run(args) {
    const runs = positiveInt(args, 'runs', 200);
    const epochs = positiveInt(args, 'epochs', 1000);
    const rounds = positiveInt(args, 'rounds', 5);
    const nats = await startNatsServer();
    const http = `http://127.0.0.1:${await freePort()}`;
    const monitor = await startService(
      'monitor',
      {
        AIMASS_NATS_URL: nats.url,
        AIMASS_MONITOR_GRPC: `127.0.0.1:${await freePort()}`,
        AIMASS_MONITOR_HTTP: http,
        AIMASS_LOG_LEVEL: 'warn',
      },
      { logDir: makeScratchDir('bench-console') },
    );
    const blank = createServer((_, res) => {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end('<!doctype html><html><head><title>blank</title></head><body></body></html>');
    });
    await new Promise<void>((resolve) => blank.listen(0, '127.0.0.1', resolve));
    const blankUrl = `http://127.0.0.1:${(blank.address() as { port: number }).port}/`;
    let browser: Browser | undefined;
    try {
      const publishStarted = performance.now();
      await publishRuns(nats.url, runs, epochs);
      process.stdout.write(
        `published ${runs} runs x ${epochs} epochs in ${((performance.now() - publishStarted) / 1000).toFixed(1)} s\n`,
      );
      await untilIngested(http, runs, epochs);
      process.stdout.write(
        `monitor read them after ${((performance.now() - publishStarted) / 1000).toFixed(1)} s\n`,
      );

      const jobs = Array.from({ length: SELECTED }, (_, i) => jobId(i));
      const consoleUrl = `${http}/#/training?runs=${jobs.join(',')}`;
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
      const blankMs: number[] = [];
      const paintMs: number[] = [];
      for (let round = 0; round < rounds + 1; round++) {
        const b = await timeBlank(browser, blankUrl);
        const c = await timeTraining(browser, consoleUrl);
        // The first round warms the browser process and the monitor's code paths; it is not counted.
        if (round === 0) continue;
        blankMs.push(b);
        paintMs.push(c);
      }
      printTable(
        ['page', 'median ms', 'min ms', 'max ms'],
        [
          ['blank page load', median(blankMs), Math.min(...blankMs), Math.max(...blankMs)],
          [`training, ${SELECTED} runs`, median(paintMs), Math.min(...paintMs), Math.max(...paintMs)],
        ],
      );
      const paint = median(paintMs);
      return { training_first_paint_ms: Math.round(paint), ratio_vs_blank: paint / median(blankMs) };
    } finally {
      await browser?.close();
      blank.close();
      await monitor.child.stop();
      await nats.stop();
    }
  },
};

export default bench;

function jobId(i: number): string {
  return `bench-run-${String(i).padStart(3, '0')}`;
}

async function publishRuns(natsUrl: string, runs: number, epochs: number): Promise<void> {
  const nc = await connect({ servers: natsUrl });
  const js = jetstream(nc);
  const base = { pool: 'cpu', backend: 'wasm', node_id: 'bench-node' };
  const pending: Promise<unknown>[] = [];
  const publish = async (type: 'trainer.job.started' | 'trainer.job.progress', data: unknown) => {
    const envelope = makeEnvelope(type, { source: 'bench/console', subject: 'jobs', data: data as never });
    pending.push(js.publish(subjects.event(type), encodeEnvelope(envelope)));
    if (pending.length >= 2000) await Promise.all(pending.splice(0));
  };
  for (let r = 0; r < runs; r++) {
    const job_id = jobId(r);
    const started: EventData<'trainer.job.started'> = {
      ...base,
      job_id,
      family: 'ae',
      epochs,
      resumed_from_epoch: 0,
    };
    await publish('trainer.job.started', started);
    const rate = 0.002 + (r % 17) * 0.0004;
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const loss = 2 * Math.exp(-rate * epoch) + 0.05 + 0.03 * Math.sin(epoch / 9 + r);
      const progress: EventData<'trainer.job.progress'> = {
        ...base,
        job_id,
        epoch,
        epochs,
        losses: { total: loss, reconstruction: loss * 0.8 },
        metrics: { val_loss: loss * 1.1 + 0.02 },
        samples_per_second: 5000,
        learning_rate: 0.001,
      };
      await publish('trainer.job.progress', progress);
    }
  }
  await Promise.all(pending);
  await nc.drain();
}

async function untilIngested(http: string, runs: number, epochs: number): Promise<void> {
  const deadline = Date.now() + 600_000;
  for (;;) {
    const body = (await (await fetch(`${http}/api/console/training/runs`)).json()) as {
      runs: { epoch: number }[];
    };
    if (body.runs.length === runs && body.runs.every((r) => r.epoch === epochs)) return;
    if (Date.now() > deadline) throw new Error('the monitor did not read every run within 10 minutes');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function timeBlank(browser: Browser, url: string): Promise<number> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(url, { waitUntil: 'load' });
  // Expressions as strings: they run in the page, whose DOM types this Node project does not load.
  const ms = Number(await page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd"));
  await context.close();
  return ms;
}

async function timeTraining(browser: Browser, url: string): Promise<number> {
  const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForFunction("document.body.dataset.painted === 'training'", undefined, { timeout: 60_000 });
  const ms = Number(
    await page.evaluate("performance.getEntriesByName('console:training-painted')[0].startTime"),
  );
  await context.close();
  return ms;
}
