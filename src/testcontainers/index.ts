/**
 * mailsandbox as a Testcontainers module.
 * @example
 * import { MailSandboxContainer } from 'mailsandbox/testcontainers';
 * const mail = await new MailSandboxContainer().start();
 */
export { MailSandboxContainer, StartedMailSandboxContainer, containerPorts, defaultImage } from './mail-sandbox-container.js';
export type { SmtpSettings, MailboxServerSettings } from './mail-sandbox-container.js';
