/*
 * smoke.mjs - Test only: drives the dashboard in headless Chromium
 * (Debian's /usr/bin/chromium, through playwright-core) against
 * tests/web/mock-server.mjs, and fails on the first step that does not
 * behave, on any console error and on any CSP violation.
 *
 *   node tests/web/smoke.mjs [OUT_DIR]   (playwright-core: npm ci --prefix tests/web)
 *
 * OUT_DIR (default build/web-smoke) receives one screenshot per view. The
 * mock server is started on a free port and stopped at the end. The steps
 * are those the issue asks of the real browser test (tests/web/README.md),
 * minus the manager: the EICAR alerts come from the mock's hook.
 */
import {spawn} from 'node:child_process';
import {mkdir} from 'node:fs/promises';
import {createRequire} from 'node:module';
import {fileURLToPath} from 'node:url';

const require = createRequire(import.meta.url);
const {chromium} = require('playwright-core');
const HERE = fileURLToPath(new URL('.', import.meta.url));
const OUT = process.argv[2] || 'build/web-smoke';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

function startMock() {
	const child = spawn(process.execPath, [`${HERE}mock-server.mjs`, '0'], {stdio: ['ignore', 'pipe', 'inherit']});
	return new Promise((resolve, reject) => {
		child.stdout.on('data', (d) => {
			const m = /listening on (\S+)/.exec(String(d));
			if (m) resolve({child, base: m[1]});
		});
		child.on('exit', (code) => reject(new Error(`mock server exited ${code}`)));
	});
}

function check(cond, what) {
	if (!cond) throw new Error(`failed: ${what}`);
	console.log(`ok - ${what}`);
}

async function shot(page, name) {
	await page.screenshot({path: `${OUT}/${name}.png`, fullPage: true});
}

async function login(page, base) {
	await page.goto(base);
	await page.getByTestId('login-user').fill('admin');
	await page.getByTestId('login-password').fill('wrong');
	await page.getByTestId('login-submit').click();
	await page.getByTestId('login-error').filter({hasText: /\S/}).waitFor();
	check(true, 'a wrong password is refused with a message');
	await page.getByTestId('login-password').fill('admin');
	await page.getByTestId('login-submit').click();
	await page.getByTestId('view-overview').waitFor();
	check(true, 'login shows the overview');
}

async function overview(page) {
	await page.locator('[data-testid=ov-chart] svg rect').first().waitFor();
	check(await page.getByTestId('quota-minute').isVisible(), 'quota gauges are drawn');
	await page.getByTestId('live-indicator').and(page.locator('[data-state=on]')).waitFor();
	check(true, 'the live indicator turns on');
	await shot(page, 'overview');
}

async function events(page, base) {
	await page.getByTestId('nav-events').click();
	await page.getByTestId('event-row').first().waitFor();
	check(await page.getByTestId('event-row').count() === 50, 'the first page has 50 rows');
	await page.getByTestId('ev-next').click();
	await page.getByTestId('ev-page').filter({hasText: '2'}).waitFor();
	await page.getByTestId('ev-prev').click();
	await page.getByTestId('ev-page').filter({hasText: '1'}).waitFor();
	check(true, 'next and previous pages');
	await fetch(`${base}/__mock/eicar`, {method: 'POST'});
	await page.locator('[data-testid=event-row]', {hasText: '87105'}).first().waitFor();
	check(true, 'the EICAR alerts appear live');
	await page.getByTestId('f-rule').fill('87105');
	await page.getByTestId('f-apply').click();
	await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=event-row]')]
		.every((r) => r.cells[2].textContent === '87105'));
	check(true, 'the rule filter keeps only 87105');
	await page.getByTestId('event-row').first().click();
	const json = await page.getByTestId('detail-json').textContent();
	check(JSON.parse(json).data.virustotal.positives === '57', 'the detail shows the full alert JSON');
	await shot(page, 'events-detail');
	await page.getByTestId('detail-close').click();
}

async function fimView(page) {
	await page.getByTestId('nav-fim').click();
	await page.getByTestId('fim-row').first().waitFor();
	check(await page.getByTestId('fim-agent').count() >= 1, 'FIM events are grouped by agent');
	await shot(page, 'fim');
}

async function virustotal(page) {
	await page.getByTestId('nav-virustotal').click();
	const link = page.getByTestId('vt-link').first();
	await link.waitFor();
	check(/^https:\/\/www\.virustotal\.com\//.test(await link.getAttribute('href')) &&
		await link.getAttribute('target') === '_blank' &&
		await link.getAttribute('rel') === 'noopener noreferrer', 'the VirusTotal link is safe and opens a new tab');
	await shot(page, 'virustotal');
	page.once('dialog', (d) => d.accept());
	await page.getByTestId('restore-button').first().click();
	await page.getByTestId('q-state').filter({hasText: 'restored'}).waitFor();
	check(await page.getByTestId('restore-button').count() === 0, 'a restore is queued and the state follows');
}

async function agentsAndFrench(page) {
	await page.getByTestId('nav-agents').click();
	await page.getByTestId('agent-row').first().waitFor();
	check((await page.getByTestId('enroll-config').textContent()).includes('<client>'), 'the enroll how-to shows <client>');
	await page.getByTestId('lang-switch').selectOption('fr');
	check(await page.getByTestId('nav-events').textContent() === 'Événements de sécurité', 'the header is French');
	check(await page.locator('html').getAttribute('lang') === 'fr', 'the page says lang=fr');
	await shot(page, 'agents-fr');
	await page.reload();
	await page.getByTestId('view-agents').waitFor();
	check(await page.getByTestId('lang-switch').inputValue() === 'fr', 'French is remembered after a reload');
}

async function run() {
	await mkdir(OUT, {recursive: true});
	const {child, base} = await startMock();
	const browser = await chromium.launch({executablePath: CHROMIUM, args: ['--no-sandbox']});
	const problems = [];
	try {
		const page = await browser.newPage();
		page.on('console', (m) => m.type() === 'error' && !/401|403/.test(m.text()) && problems.push(m.text()));
		page.on('pageerror', (e) => problems.push(String(e)));
		await login(page, base);
		await overview(page);
		await events(page, base);
		await fimView(page);
		await virustotal(page);
		await agentsAndFrench(page);
		check(problems.length === 0, `no console error or CSP violation${problems.length ? `: ${problems.join(' | ')}` : ''}`);
	} finally {
		await browser.close();
		child.kill();
	}
}

run().catch((err) => {
	console.error(err.message);
	process.exit(1);
});
