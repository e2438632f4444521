import type { StartedTestContainer } from 'testcontainers';
import { describe, expect, it } from 'vitest';
import { StartedMailSandboxContainer, containerPorts } from '../../src/testcontainers/index.js';
import { httpSandbox, simpleEml } from './http-helpers.js';

/**
 * A started container as Testcontainers hands it over, standing in for Docker: the "container" is an in-process
 * sandbox whose HTTP port plays the mapped port of 8025.
 */
function startedStandIn(httpPort: number): StartedMailSandboxContainer {
  const started = {
    getHost: () => '127.0.0.1',
    getMappedPort: (port: number) => {
      if (port !== containerPorts.http) throw new Error(`only the HTTP port is mapped here, not ${port}`);
      return httpPort;
    },
  };
  return new StartedMailSandboxContainer(started as unknown as StartedTestContainer);
}

describe('StartedMailSandboxContainer.createClient', () => {
  it('passes credentials on when the container runs with MAILSANDBOX_UI_AUTH', async () => {
    const sandbox = await httpSandbox({ uiAuth: 'qa:s3cret' });
    try {
      await sandbox.deliver(simpleEml({ subject: 'Behind auth' }), { to: 'ann@example.test' });
      const container = startedStandIn(sandbox.ports.http!);
      await expect(container.createClient().messages()).rejects.toMatchObject({ status: 401 });
      const messages = await container.createClient({ auth: 'qa:s3cret' }).messages();
      expect(messages.map((m) => m.subject)).toEqual(['Behind auth']);
    } finally {
      await sandbox.close();
    }
  });
});
