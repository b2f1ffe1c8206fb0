export interface ScheduleOptions {
  readonly type: 'constant' | 'exponential' | 'step';
  readonly rate: number;
  readonly step_epochs: number;
}

/** The learning rate for the epoch with 0-based index `epoch`. */
export function learningRateAt(base: number, schedule: ScheduleOptions, epoch: number): number {
  switch (schedule.type) {
    case 'constant':
      return base;
    case 'exponential':
      return base * schedule.rate ** epoch;
    case 'step':
      return base * schedule.rate ** Math.floor(epoch / schedule.step_epochs);
  }
}
