/**
 * CPU time this process spends in `fn`, in milliseconds. Bounds on hostile input ("stays linear", "no catastrophic
 * backtracking") are checked against it rather than against the wall clock, which the machine's other work inflates
 * (a shared 2-core runner at a load average of 15 stretched a 1 s wall-clock budget past its limit). A quadratic or
 * backtracking path still costs CPU seconds and fails; a descheduled but linear one does not.
 */
export function cpuMillis<T>(fn: () => T): { result: T; ms: number } {
  const before = process.cpuUsage();
  const result = fn();
  const used = process.cpuUsage(before);
  return { result, ms: (used.user + used.system) / 1000 };
}
