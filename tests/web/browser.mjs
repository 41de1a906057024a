/*
 * browser.mjs - Test only: drives the dashboard of a real manager in
 * headless Chromium (Debian's /usr/bin/chromium, through playwright-core
 * from tests/web/node_modules) the way issue 7 §5 asks, and fails on the
 * first step that does not behave, on any console error and on any CSP
 * violation.
 *
 *   node tests/web/browser.mjs URL ADMIN_PASSWORD WATCHED_DIR OUT_DIR
 *
 * The manager (tests/e2e/072-dashboard-browser.sh) monitors WATCHED_DIR as
 * agent 000, asks VirusTotal (the emulator) about new files and quarantines
 * what 87105 flags. This script runs on the same host, so it drops EICAR
 * into WATCHED_DIR itself, once the page is live: the alerts must then
 * arrive over the stream, without a reload. OUT_DIR receives one screenshot
 * per view for review.
 */
import {mkdir, rename, writeFile} from 'node:fs/promises';
import {createRequire} from 'node:module';
import {dirname, join} from 'node:path';

const require = createRequire(import.meta.url);
const {chromium} = require('playwright-core');
const [BASE, PASSWORD, WATCHED, OUT] = process.argv.slice(2);
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
/* The seed's 69-byte test file (tests/e2e/lib.sh write_eicar). */
const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*\n';
/* The FIM alert for a new file: 554, or 99901 when the shipped offline
 * list recognises the hash first (it does for EICAR). */
const FIM_RULES = ['554', '99901'];
/* Long enough for the manager's lookups and the agent's report; the
 * whole run stays well under the e2e budget. */
const STEP_MS = 15000;

function check(cond, what) {
	if (!cond) throw new Error(`failed: ${what}`);
	console.log(`ok - ${what}`);
}

async function shot(page, name) {
	await page.screenshot({path: `${OUT}/${name}.png`, fullPage: true});
}

/* Written beside WATCHED_DIR then renamed in, so that the watcher sees
 * one complete file rather than an empty one growing. */
async function dropEicar() {
	const staging = join(dirname(WATCHED), `.${process.pid}.eicar`);
	await writeFile(staging, EICAR);
	const path = join(WATCHED, 'TestEICAR.txt');
	await rename(staging, path);
	return path;
}

async function login(page, done) {
	await page.goto(BASE);
	await page.getByTestId('login-user').fill('admin');
	await page.getByTestId('login-password').fill(PASSWORD);
	await page.getByTestId('login-submit').click();
	await page.getByTestId('view-overview').waitFor();
	done();
	check(true, 'login shows the overview');
	await page.getByTestId('live-indicator').and(page.locator('[data-state=on]')).waitFor();
	check(true, 'the live indicator turns on');
}

/* The row of the events table whose rule id cell (the third) is RULE. */
function ruleRow(page, rule) {
	return page.getByTestId('event-row').filter({has: page.locator(`td:nth-child(3):text-is("${rule}")`)});
}

async function liveAlerts(page) {
	await page.getByTestId('nav-events').click();
	await page.getByTestId('event-row').first().waitFor();
	const before = await page.getByTestId('event-row').count();
	const navigations = [];
	page.on('framenavigated', (f) => f === page.mainFrame() && navigations.push(f.url()));
	const path = await dropEicar();
	console.log(`# dropped ${path}`);
	await page.locator('[data-testid=event-row].row--new')
		.filter({has: page.locator(FIM_RULES.map((r) => `td:nth-child(3):text-is("${r}")`).join(', '))})
		.first().waitFor({timeout: STEP_MS});
	check(true, 'the FIM alert (554 or 99901) appears live');
	await page.locator('[data-testid=event-row].row--new')
		.filter({has: page.locator('td:nth-child(3):text-is("87105")')}).first().waitFor({timeout: STEP_MS});
	check(true, 'the VirusTotal alert (87105) appears live');
	check(navigations.filter((u) => !u.includes('#')).length === 0 &&
		await page.getByTestId('event-row').count() > before, 'without a reload');
}

async function filterAndDetail(page) {
	await page.getByTestId('f-rule').fill('87105');
	await page.getByTestId('f-apply').click();
	await page.waitForFunction(() => {
		const rows = [...document.querySelectorAll('[data-testid=event-row]')];
		return rows.length > 0 && rows.every((r) => r.cells[2].textContent === '87105');
	}, null, {timeout: STEP_MS});
	check(true, 'the rule filter keeps only 87105');
	await shot(page, 'events');
	await ruleRow(page, '87105').first().click();
	await page.getByTestId('detail-panel').waitFor();
	const alert = JSON.parse(await page.getByTestId('detail-json').textContent());
	const vt = alert.data?.virustotal;
	check(alert.rule?.id === '87105' && vt?.malicious === '1' && Number(vt?.positives) > 0 &&
		/^https:\/\/www\.virustotal\.com\//.test(vt?.permalink ?? ''), 'the detail shows data.virustotal');
	await shot(page, 'detail');
	await page.getByTestId('detail-close').click();
	await page.getByTestId('detail-panel').waitFor({state: 'hidden'});
	await page.getByTestId('f-reset').click();
}

async function fimView(page) {
	await page.getByTestId('nav-fim').click();
	await page.getByTestId('fim-row').filter({hasText: 'TestEICAR.txt'}).first().waitFor();
	check(await page.getByTestId('fim-agent').count() >= 1, 'the FIM view lists the file under its agent');
	await shot(page, 'fim');
}

async function virustotal(page) {
	await page.getByTestId('nav-virustotal').click();
	const row = page.getByTestId('vt-file').filter({hasText: 'TestEICAR.txt'}).first();
	await row.waitFor();
	const link = row.getByTestId('vt-link');
	check(/^https:\/\/www\.virustotal\.com\//.test(await link.getAttribute('href')) &&
		await link.getAttribute('target') === '_blank' &&
		await link.getAttribute('rel') === 'noopener noreferrer', 'the VirusTotal link is safe and opens a new tab');
	/* The agent's quarantine report may still be on its way. */
	await row.getByTestId('restore-button').waitFor({timeout: STEP_MS});
	check(/quarantined/i.test(await row.getByTestId('q-state').textContent()), 'the file reads quarantined');
	await shot(page, 'virustotal');
	page.once('dialog', (d) => d.accept());
	await row.getByTestId('restore-button').click();
	await row.getByTestId('q-state').filter({hasText: /restored/i}).waitFor({timeout: STEP_MS});
	check(await row.getByTestId('restore-button').count() === 0, 'the restore runs and the state reads restored');
}

/* Last of the English views, so that its screenshot shows the EICAR. */
async function overview(page) {
	await page.getByTestId('nav-overview').click();
	await page.locator('[data-testid=ov-chart] svg rect').first().waitFor();
	check(await page.getByTestId('quota-minute').isVisible(), 'the overview draws its chart and quota gauges');
	await page.waitForFunction(() => Number(document.querySelector('[data-testid=ov-malicious]').textContent) >= 1);
	check(true, 'the overview counts the malicious file');
	await page.locator('[data-testid=top-rule]', {hasText: '87105'}).first().waitFor();
	check(true, 'the overview lists 87105 among the top rules');
	await shot(page, 'overview');
}

async function agentsAndFrench(page) {
	await page.getByTestId('nav-agents').click();
	await page.locator('[data-testid=agent-row][data-agent-id="000"]').waitFor();
	check(true, 'the agents view lists agent 000');
	await shot(page, 'agents');
	await page.getByTestId('lang-switch').selectOption('fr');
	check(await page.getByTestId('nav-events').textContent() === 'Événements de sécurité', 'the header is French');
	check(await page.locator('html').getAttribute('lang') === 'fr', 'the page says lang=fr');
	await shot(page, 'french');
}

async function run() {
	if (!BASE || !PASSWORD || !WATCHED || !OUT)
		throw new Error('usage: node browser.mjs URL ADMIN_PASSWORD WATCHED_DIR OUT_DIR');
	await mkdir(OUT, {recursive: true});
	const browser = await chromium.launch({executablePath: CHROMIUM, args: ['--no-sandbox']});
	const problems = [];
	try {
		const page = await browser.newPage({viewport: {width: 1280, height: 800}});
		page.setDefaultTimeout(STEP_MS);
		/* CSP violations are reported as console errors, like script
		 * errors. The one expected error: before logging in, the page asks
		 * GET /api/session whether it has a session, and the 401 that says
		 * no is logged by Chromium as a failed load. */
		let loggedIn = false;
		page.on('console', (m) => {
			if (m.type() !== 'error') return;
			if (!loggedIn && /status of 401/.test(m.text()) && new URL(m.location().url || BASE).pathname === '/api/session')
				return;
			problems.push(`${m.text()} (${m.location().url})`);
		});
		page.on('pageerror', (e) => problems.push(String(e)));
		await login(page, () => { loggedIn = true; });
		await liveAlerts(page);
		await filterAndDetail(page);
		await fimView(page);
		await virustotal(page);
		await overview(page);
		await agentsAndFrench(page);
		check(problems.length === 0, `no console error or CSP violation${problems.length ? `: ${problems.join(' | ')}` : ''}`);
	} finally {
		await browser.close();
	}
}

run().catch((err) => {
	console.error(err.message);
	process.exit(1);
});
