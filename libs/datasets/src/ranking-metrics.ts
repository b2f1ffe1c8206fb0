/** Area under the ROC curve of `scores` (higher = more anomalous) against 0/1 labels; ties count half. */
export function auroc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort(
    (a, b) => (scores[a] as number) - (scores[b] as number),
  );
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1] as number] === scores[order[i] as number]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++)
      if (labels[order[k] as number] === 1) {
        positives++;
        rankSum += rank;
      }
    i = j + 1;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Average precision (area under the precision-recall curve, step interpolation). */
export function auprc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort(
    (a, b) => (scores[b] as number) - (scores[a] as number),
  );
  const positives = order.filter((i) => labels[i] === 1).length;
  if (positives === 0) return Number.NaN;
  let tp = 0;
  let sum = 0;
  order.forEach((i, rank) => {
    if (labels[i] === 1) {
      tp++;
      sum += tp / (rank + 1);
    }
  });
  return sum / positives;
}
