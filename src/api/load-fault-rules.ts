import { readFile } from 'node:fs/promises';
import { ConfigError, type SandboxConfig } from '../config.js';
import { FaultRuleError, parseFaultRule } from '../store/fault-rule.js';
import type { FaultRuleSet } from '../store/fault-rules.js';

/**
 * Loads the rules of `faults` and `--faults FILE` (a JSON array) at start. Every rule is checked before any is
 * added, and every bad one is reported (with its index and field), as for any other configuration problem.
 * With a kept store, they replace the rules an earlier start loaded (see FaultRuleSet.loadAtStart); without any,
 * kept rules stay as they are.
 */
export async function loadFaultRules(config: SandboxConfig, set: FaultRuleSet): Promise<void> {
  const rules: Array<[string, unknown]> = (config.faults ?? []).map((r, i) => [`faults[${i}]`, r]);
  if (config.faultsFile) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(config.faultsFile, 'utf8'));
    } catch (err) {
      throw new ConfigError([`--faults ${config.faultsFile}: ${(err as Error).message}`]);
    }
    if (!Array.isArray(parsed)) throw new ConfigError([`--faults ${config.faultsFile}: must hold a JSON array of fault rules`]);
    parsed.forEach((r, i) => rules.push([`--faults ${config.faultsFile}: rule ${i}`, r]));
  }
  const problems: string[] = [];
  for (const [where, rule] of rules) {
    try {
      parseFaultRule(rule);
    } catch (err) {
      if (!(err instanceof FaultRuleError)) throw err;
      problems.push(`${where}: ${err.message}`);
    }
  }
  if (problems.length) throw new ConfigError(problems);
  // A durable or shared store may still hold the rules an earlier start loaded: they are replaced, not doubled.
  if (rules.length) set.loadAtStart(rules.map(([, rule]) => rule));
  await set.durable();
}
