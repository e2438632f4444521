import { TypedEmitter } from './typed-emitter.js';

/** Which listener refused a message. */
export type RejectingProtocol = 'smtp' | 'imap' | 'pop3' | 'http';

export interface SandboxSignalEvents {
  /** A message (or one of its recipients) was refused: `reason` is a short label like `size`, `recipients`, `auth`. */
  'message.rejected': [protocol: RejectingProtocol, reason: string];
  /** A fault-injection rule acted (SPEC §13). */
  'fault.fired': [protocol: string, ruleId: string];
}

/**
 * Facts that are not store changes but that observers (metrics, logs) want: refusals and fired faults. Protocols
 * report here instead of importing the metrics code, as they report mail to the store instead of to the UI.
 */
export class SandboxSignals extends TypedEmitter<SandboxSignalEvents> {
  messageRejected(protocol: RejectingProtocol, reason: string): void {
    this.emit('message.rejected', protocol, reason);
  }

  /** Fault injection calls this each time a rule fires; `/metrics` counts it in `mailsandbox_faults_fired_total`. */
  faultFired(protocol: string, ruleId: string): void {
    this.emit('fault.fired', protocol, ruleId);
  }
}
