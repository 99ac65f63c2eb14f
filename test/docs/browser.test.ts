// The docs as a reader gets them: headless Chromium (Debian's `chromium`, driven by playwright-core) opens
// them served at /docs and as the file docs/index.html, and checks what a person would: both products'
// groups and the guides render, an operation shows its client and curl samples (with the address the docs
// came from), every sample fits its panel clear of its copy button, deep links and links opened in a new tab
// land on their section, nothing is logged as an error, and no request leaves the machine.
// Screenshots go to /tmp/docs-*.png.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { GUIDES } from '../../scripts/generate/docs.js';
import { problemCodes } from '../../generated/server/problem-codes.gen.js';
import { useTestServer } from '../helpers/server.js';

const CHROMIUM = '/usr/bin/chromium';
const root = join(import.meta.dirname, '..', '..');
const contract = JSON.parse(readFileSync(join(root, 'generated', 'openapi.json'), 'utf8')) as {
  tags: Array<{ name: string }>;
  'x-tagGroups': Array<{ name: string }>;
  paths: Record<string, Record<string, { operationId?: string; tags?: string[] }>>;
};
/** Redoc's route for a tag or heading: lower case, spaces as hyphens. */
const slug = (name: string) => name.toLowerCase().replace(/ /g, '-');
/** The one link that leaves the page (on a click only): Redoc's attribution. */
const ATTRIBUTION = 'https://redocly.com/redoc/';

const present = existsSync(CHROMIUM);
if (!present && !process.env.CI) {
  console.warn(`test/docs/browser.test.ts: skipped, ${CHROMIUM} is missing (apt-get install -y chromium). CI runs it.`);
}

describe.skipIf(!present && !process.env.CI)('the docs in a browser', () => {
  const server = useTestServer();
  let browser: Browser;
  const targets = () => ({
    served: `${server.baseUrl}/docs`,
    file: pathToFileURL(join(root, 'docs', 'index.html')).href,
  });

  beforeAll(async () => {
    if (!present) throw new Error(`${CHROMIUM} is missing: .ci/run installs it (apt-get install -y chromium)`);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  /** A fresh context that records console errors and refuses (and records) requests to any other host. */
  async function reader(): Promise<{ context: BrowserContext; errors: string[]; foreign: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    context.setDefaultTimeout(15_000);
    const errors: string[] = [];
    const foreign: string[] = [];
    const local = (url: string) => {
      const { protocol, origin } = new URL(url);
      return ['file:', 'data:', 'blob:', 'about:'].includes(protocol) || origin === server.baseUrl;
    };
    await context.route('**/*', (route) => (local(route.request().url()) ? route.continue() : route.abort()));
    context.on('request', (request) => {
      if (!local(request.url())) foreign.push(request.url());
    });
    context.on('page', (page) => watch(page, errors));
    return { context, errors, foreign };
  }

  function watch(page: Page, errors: string[]): void {
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`${page.url()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => errors.push(`${page.url()}: ${error.message}`));
  }

  /** Opens `url` and waits until Redoc has rendered its sidebar. */
  async function open(context: BrowserContext, url: string): Promise<Page> {
    const page = await context.newPage();
    await page.goto(url, { waitUntil: 'load' });
    await page.locator('ul[data-component-name="Menu/Menu"]').first().getByText('Errors', { exact: true }).waitFor();
    return page;
  }

  /** Waits until the element is at the top of the viewport (Redoc scrolls after it renders). */
  async function expectAtTop(page: Page, selector: string, what: string): Promise<void> {
    const element = page.locator(selector).first();
    await element.waitFor({ state: 'attached' });
    const deadline = Date.now() + 10_000;
    let top = Number.NaN;
    while (Date.now() < deadline) {
      top = await element.evaluate((e) => e.getBoundingClientRect().top);
      if (top >= -2 && top < 250) return;
      await page.waitForTimeout(100);
    }
    throw new Error(`${what}: ${selector} is at ${top}px, not at the top of ${page.url()}`);
  }

  for (const target of ['served', 'file'] as const) {
    describe(`${target === 'served' ? 'served at /docs' : 'opened from file://'}`, () => {
      it("renders both products' groups, every tag and the guides, with hash links only", async () => {
        const { context, errors, foreign } = await reader();
        const page = await open(context, targets()[target]);
        const sidebar = page.locator('ul[data-component-name="Menu/Menu"]').first();
        for (const group of contract['x-tagGroups']) await sidebar.getByText(group.name, { exact: true }).waitFor();
        const hrefs = await page
          .locator('ul[data-component-name="Menu/Menu"] a, [data-component-name="Sidebar/Sidebar"] a')
          .evaluateAll((links) => links.map((a) => a.getAttribute('href') ?? ''));
        expect(
          hrefs.filter((href) => !href.startsWith('#/') && href !== ATTRIBUTION),
          'sidebar links that are not hash links',
        ).toEqual([]);
        for (const tag of contract.tags) await sidebar.locator(`a[href="#/${slug(tag.name)}"]`).waitFor();
        for (const guide of GUIDES) await sidebar.locator(`a[href="#/section/${guide}"]`).waitFor();
        await page.screenshot({ path: `/tmp/docs-${target}-overview.png` });
        await context.close();
        expect(errors).toEqual([]);
        expect(foreign).toEqual([]);
      }, 60_000);

      it("shows an operation's client sample, and its curl sample, in the right panel", async () => {
        const { context, errors, foreign } = await reader();
        const page = await open(context, `${targets()[target]}#/spaces/createspace`);
        const panel = page.locator('[id="spaces/createspace"] .panel-request-samples').first();
        await expectAtTop(page, '[id="spaces/createspace"]', 'createSpace');
        // Served, the samples call the server the docs came from; from the file, `npm start`'s address.
        const origin = target === 'served' ? server.baseUrl : 'http://localhost:3000';
        await panel.getByText('createSpace({').waitFor({ state: 'visible' });
        await panel.getByText(`baseUrl: '${origin}',`).waitFor({ state: 'visible' });
        await page.screenshot({ path: `/tmp/docs-${target}-client-sample.png` });
        await panel.getByRole('button', { name: '@platform/client' }).click();
        await page.getByRole('menuitem', { name: 'curl' }).click();
        await panel.getByText(`curl -sS -X POST '${origin}/api/spaces'`).waitFor({ state: 'visible' });
        await page.screenshot({ path: `/tmp/docs-${target}-curl-sample.png` });
        await context.close();
        expect(errors).toEqual([]);
        expect(foreign).toEqual([]);
      }, 60_000);

      it('lands deep links and sidebar links opened in a new tab on their section', async () => {
        const { context, errors, foreign } = await reader();
        const start = await open(context, targets()[target]);
        // A sidebar link as a reader copies it or opens it in a new tab: its href, resolved against the page.
        for (const [href, selector] of [
          ['#/spaces', '[data-section-id="/spaces"]'],
          ['#/section/errors', '[id="section/errors"]'],
          ['#/room-messages', '[data-section-id="/room-messages"]'],
        ] as const) {
          const link = start.locator(`ul[data-component-name="Menu/Menu"] a[href="${href}"]`).first();
          const url = new URL((await link.getAttribute('href'))!, start.url()).href;
          const tab = await open(context, url);
          await expectAtTop(tab, selector, `new tab ${href}`);
          await tab.close();
        }
        const deep = await open(context, `${targets()[target]}#/section/errors/problem-codes#problem-not-a-member`);
        await expectAtTop(deep, '[id="problem-not-a-member"]', 'deep link to a problem code');
        await deep.screenshot({ path: `/tmp/docs-${target}-deep-link.png` });
        await context.close();
        expect(errors).toEqual([]);
        expect(foreign).toEqual([]);
      }, 120_000);
    });
  }

  it("fits every operation's client and curl samples in their panel, clear of the copy button", async () => {
    // Served only: the file shows the same samples with an origin of the same length, under the same styles.
    const { context, errors, foreign } = await reader();
    const page = await open(context, targets().served);
    const ids = Object.values(contract.paths)
      .flatMap((item) => Object.values(item))
      .filter((op) => op.operationId)
      .map((op) => `${slug(op.tags![0]!)}/${op.operationId!.toLowerCase()}`);
    const problems: string[] = [];
    for (const language of ['@platform/client', 'curl'] as const) {
      for (const id of ids) {
        await page.evaluate((hash) => {
          location.hash = hash;
        }, `#/${id}`);
        const panel = page.locator(`[id="${id}"] .panel-request-samples`).first();
        const block = panel.locator('[data-component-name="CodeBlock/CodeBlockContainer"]').first();
        await block.waitFor();
        if (language === 'curl' && id === ids[0]) {
          // The language chosen in one panel is every panel's.
          await panel.getByRole('button', { name: '@platform/client' }).click();
          await page.getByRole('menuitem', { name: 'curl' }).click();
        }
        const found = await block.evaluate((code: HTMLElement) => {
          const out: string[] = [];
          const text = code.textContent ?? '';
          if (code.scrollWidth > code.clientWidth + 1)
            out.push(`runs ${code.scrollWidth - code.clientWidth}px past its panel`);
          const button = code
            .closest('[data-component-name="CodeBlock/CodeBlock"]')
            ?.querySelector('[data-component-name="Buttons/CopyButton"]');
          if (!button) return [...out, 'has no copy button'];
          const b = button.getBoundingClientRect();
          const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
          const range = document.createRange();
          for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            if (!node.textContent?.trim()) continue;
            range.selectNodeContents(node);
            for (const r of range.getClientRects()) {
              if (r.width > 0 && r.left < b.right && r.right > b.left && r.top < b.bottom && r.bottom > b.top) {
                out.push(`copy button covers "${node.textContent.trim().slice(0, 30)}"`);
                return out;
              }
            }
          }
          return text.startsWith('curl') || text.startsWith('import')
            ? out
            : [...out, `shows "${text.slice(0, 30)}", not a sample`];
        });
        problems.push(...found.map((problem) => `${id} (${language}): ${problem}`));
        if (language === 'curl') expect(await block.textContent(), id).toMatch(/^curl /);
      }
    }
    await page.screenshot({ path: '/tmp/docs-served-samples-fit.png' });
    await context.close();
    expect(problems).toEqual([]);
    expect(errors).toEqual([]);
    expect(foreign).toEqual([]);
  }, 240_000);

  it("takes a problem's type URI to the row of the errors guide that explains its code", async () => {
    const { context, errors, foreign } = await reader();
    const page = await context.newPage();
    await page.goto(`${server.baseUrl}${problemCodes.INSUFFICIENT_BALANCE.type}`, { waitUntil: 'load' });
    expect(page.url()).toBe(`${server.baseUrl}${problemCodes.INSUFFICIENT_BALANCE.docs}`);
    await expectAtTop(page, '[id="problem-insufficient-balance"]', 'problem type');
    await page.screenshot({ path: '/tmp/docs-served-problem-type.png' });
    await context.close();
    expect(errors).toEqual([]);
    expect(foreign).toEqual([]);
  }, 60_000);
});
