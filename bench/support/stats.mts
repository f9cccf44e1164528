/** Events per second, or undefined when nothing happened or no time passed. */
export function perSecond(count: number, milliseconds: number): number | undefined {
  if (count <= 0 || milliseconds <= 0) return undefined;
  return count / (milliseconds / 1000);
}

export function ratio(numerator: number | undefined, denominator: number | undefined): number | undefined {
  if (numerator === undefined || denominator === undefined || denominator === 0) return undefined;
  return numerator / denominator;
}
