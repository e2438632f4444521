import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import nodemailer from 'nodemailer';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { createSandbox } from '../../src/index.js';
import type { Sandbox, SandboxOptions } from '../../src/index.js';

export const chromiumPath = '/usr/bin/chromium';
export const hasChromium = existsSync(chromiumPath);

/** A suite's name, saying why it is skipped when Chromium is absent (vitest prints it with the skipped tests). */
export function suiteName(name: string): string {
  return hasChromium ? name : `${name} (skipped: ${chromiumPath} is not installed; apt-get install chromium)`;
}

const uiIndex = fileURLToPath(new URL('../../ui-dist/index.html', import.meta.url));

/** Fails loudly instead of testing the server's "UI not built" page. */
export function assertUiBuilt(): void {
  if (!existsSync(uiIndex)) throw new Error(`The web UI is not built (${uiIndex} is missing): run npm run build:ui`);
}

export async function launchBrowser(): Promise<Browser> {
  assertUiBuilt();
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/** A sandbox with the listeners the UI tests use: SMTP, IMAP and HTTP on free ports, the rest off. */
export function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  return createSandbox({
    smtp: { port: 0 },
    smtps: { port: false },
    pop3: { port: false },
    pop3s: { port: false },
    imap: { port: 0 },
    imaps: { port: false },
    http: { port: 0 },
    logLevel: 'silent',
    ...options,
  });
}

const messageFrameUrl = /\/api\/v1\/messages\/[^/]+\/html(\?|$)/;

export interface OpenedUi {
  context: BrowserContext;
  page: Page;
  /** Uncaught exceptions and console errors (CSP violations, failed requests) of the UI; tests assert none. */
  pageErrors: Error[];
  /** Console errors from message HTML frames: Chromium reports there what the sandbox and CSP blocked. */
  frameConsole: string[];
}

/** A fresh browser context (own storage) on the sandbox's UI, waiting until the live feed is connected. */
export async function openUi(browser: Browser, sandbox: Sandbox, options: { colorScheme?: 'light' | 'dark'; hash?: string } = {}): Promise<OpenedUi> {
  const context = await browser.newContext({ colorScheme: options.colorScheme ?? 'light', viewport: { width: 1280, height: 800 } });
  // Fail in seconds, not at the 30 s test timeout, when the page never gets where a test waits for it.
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const pageErrors: Error[] = [];
  page.on('pageerror', (err) => pageErrors.push(err));
  const frameConsole: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    if (messageFrameUrl.test(msg.location().url)) frameConsole.push(msg.text());
    else pageErrors.push(new Error(`console: ${msg.text()}`));
  });
  await page.goto(`${sandbox.url}/${options.hash ?? ''}`);
  await page.locator('[data-testid="connection"][data-state="live"]').waitFor();
  return { context, page, pageErrors, frameConsole };
}

export interface MailSpec {
  from?: string;
  to?: string | string[];
  subject: string;
  text?: string;
  html?: string;
  attachments?: Array<{ filename: string; content: string | Buffer; contentType?: string; cid?: string }>;
}

/** Sends over real SMTP with nodemailer; resolves after the server's `250` to DATA. */
export async function sendMail(sandbox: Sandbox, mail: MailSpec): Promise<void> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: sandbox.ports.smtp!, secure: false, ignoreTLS: true });
  try {
    await transport.sendMail({ from: mail.from ?? 'app@example.test', to: mail.to ?? 'ann@example.test', subject: mail.subject, text: mail.text, html: mail.html, attachments: mail.attachments });
  } finally {
    transport.close();
  }
}

/** The list row of the message with this subject. */
export function row(page: Page, subject: string) {
  return page.locator('.message-list .row', { has: page.locator('.row-subject', { hasText: subject }) });
}

/**
 * Resolves once `check()` holds for the store, re-checking on every store change (no polling). The UI updates a row
 * before its PATCH/DELETE reaches the server, so a test that asserts on the store must wait for the request to land.
 */
export function storeReaches(sandbox: Sandbox, check: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (check()) return resolve();
    const offs = [
      sandbox.store.on('message.updated', settle),
      sandbox.store.on('message.deleted', settle),
      sandbox.store.on('store.cleared', settle),
    ];
    function settle(): void {
      if (!check()) return;
      for (const off of offs) off();
      resolve();
    }
  });
}

type UiOptions = { colorScheme?: 'light' | 'dark'; hash?: string };

/**
 * The lifecycle every browser suite shares: one Chromium per suite; after each test, the page must have thrown
 * nothing, and its context and the test's sandbox are closed. Create it at the top of a `describe`.
 */
export class BrowserSuite {
  #browser: Browser | undefined;
  #sandbox: Sandbox | undefined;
  #ui: OpenedUi | undefined;

  constructor() {
    beforeAll(async () => {
      this.#browser = await launchBrowser();
    });
    afterAll(async () => {
      await this.#browser?.close();
    });
    afterEach(async () => {
      const ui = this.#ui;
      this.#ui = undefined;
      if (ui) expect(ui.pageErrors.map(String)).toEqual([]);
      await ui?.context.close();
      await this.#sandbox?.close();
      this.#sandbox = undefined;
    });
  }

  get browser(): Browser {
    if (!this.#browser) throw new Error('the browser starts in beforeAll');
    return this.#browser;
  }

  /** The test's sandbox; started by `freshSandbox()` or the first `open()`. */
  get sandbox(): Sandbox {
    if (!this.#sandbox) throw new Error('no sandbox yet: call freshSandbox() or open() first');
    return this.#sandbox;
  }

  /** The page opened by `open()`; a test that makes its own context hands it over here so it is checked and closed. */
  get ui(): OpenedUi {
    if (!this.#ui) throw new Error('no page yet: call open() first');
    return this.#ui;
  }

  set ui(ui: OpenedUi) {
    this.#ui = ui;
  }

  async freshSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
    this.#sandbox = await startSandbox(options);
    return this.#sandbox;
  }

  /** Opens the UI on the test's sandbox, starting one if the test didn't need to seed it first. */
  async open(options: UiOptions = {}): Promise<OpenedUi & { sandbox: Sandbox }> {
    this.#sandbox ??= await startSandbox();
    this.#ui = await openUi(this.browser, this.#sandbox, options);
    return { ...this.#ui, sandbox: this.#sandbox };
  }
}
