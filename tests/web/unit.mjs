/*
 * unit.mjs - Test only: the dashboard's pure modules under node (no
 * browser): live-alert filtering, link safety, URL building, the
 * dictionaries. Run: node --test tests/web/unit.mjs
 */
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {readFile, readdir} from 'node:fs/promises';
import {fileURLToPath} from 'node:url';
import {alertHashes, alertMatches, levelBand, safeVtLink, sortFim} from '../../web/js/alerts.js';
import {buildUrl} from '../../web/js/api.js';
import {parseTime, t} from '../../web/js/i18n.js';
import en from '../../web/js/i18n/en.js';
import fr from '../../web/js/i18n/fr.js';

const WEB = fileURLToPath(new URL('../../web/', import.meta.url));
const [fimAlert, vtAlert] = JSON.parse(await readFile(new URL('fixtures/seed-alerts.json', import.meta.url), 'utf8'));

test('alerts__match_each_filter_like_the_api', () => {
	assert.ok(alertMatches(fimAlert, {}));
	assert.ok(alertMatches(fimAlert, {'rule.id': '554', 'agent.id': '001', level: '5', group: 'syscheck'}));
	assert.ok(!alertMatches(fimAlert, {level: '6'}));
	assert.ok(!alertMatches(fimAlert, {group: 'virustotal'}));
	assert.ok(alertMatches(vtAlert, {q: 'engines DETECTED'}));
	assert.ok(alertMatches(vtAlert, {path: '/root/'}), 'a VirusTotal alert is about data.virustotal.source.file');
	assert.ok(!alertMatches(vtAlert, {path: '/etc/'}));
	assert.ok(alertMatches(fimAlert, {hash: '131F95C51CC819465FA1797F6CCACF9D494AAAFF46FA3EAC73AE63FFBDFD8267'}));
	assert.ok(alertMatches(vtAlert, {hash: '69630e4574ec6798239b091cda43dca0'}));
	assert.ok(!alertMatches(fimAlert, {hash: 'ff'.repeat(32)}));
});

test('alerts__match_time_range_with_offset_without_colon', () => {
	/* 12:52:04.611+0000 */
	assert.ok(alertMatches(fimAlert, {since: '2024-01-10T12:52:00.000Z', until: '2024-01-10T12:53:00.000Z'}));
	assert.ok(!alertMatches(fimAlert, {since: '2024-01-10T12:53:00.000Z'}));
	assert.ok(!alertMatches(fimAlert, {until: String(Date.UTC(2024, 0, 10, 12, 52))}), 'epoch ms is accepted too');
	assert.equal(parseTime(fimAlert.timestamp).toISOString(), '2024-01-10T12:52:04.611Z');
});

test('alerts__hashes_and_bands', () => {
	assert.ok(alertHashes(vtAlert).includes('cf8bd9dfddff007f75adf4c2be48005cea317c62'));
	assert.deepEqual([0, 3, 4, 7, 8, 11, 12, 16].map(levelBand),
		['low', 'low', 'medium', 'medium', 'high', 'high', 'critical', 'critical']);
});

test('alerts__only_https_virustotal_links', () => {
	assert.equal(safeVtLink(vtAlert.data.virustotal.permalink), vtAlert.data.virustotal.permalink);
	assert.equal(safeVtLink('javascript:alert(1)'), null);
	assert.equal(safeVtLink('http://www.virustotal.com/gui/file/x'), null);
	assert.equal(safeVtLink('https://www.virustotal.com.evil.example/x'), null);
	assert.equal(safeVtLink('https://evilvirustotal.com/x'), null);
	assert.equal(safeVtLink(undefined), null);
});

test('alerts__fim_sorted_by_agent_then_path_newest_first', () => {
	const mk = (agent, path, ts) => ({agent: {id: agent}, syscheck: {path}, timestamp: ts});
	const sorted = sortFim([mk('002', '/a', '2024-01-01T00:00:00Z'), mk('001', '/b', '2024-01-01T00:00:00Z'),
		mk('001', '/a', '2024-01-01T00:00:00Z'), mk('001', '/a', '2024-01-02T00:00:00Z')]);
	assert.deepEqual(sorted.map((a) => `${a.agent.id}${a.syscheck.path}${a.timestamp.slice(8, 10)}`),
		['001/a02', '001/a01', '001/b01', '002/a01']);
});

test('api__url_leaves_out_empty_filters_and_encodes', () => {
	assert.equal(buildUrl('/api/alerts', {level: 5, q: '', after: null, path: '/a b&c'}),
		'/api/alerts?level=5&path=%2Fa+b%26c');
	assert.equal(buildUrl('/api/agents', {}), '/api/agents');
});

test('i18n__placeholders_and_fallback', () => {
	assert.equal(t('pager.page', {n: 3}), 'Page 3');
	assert.equal(t('no.such.key'), 'no.such.key');
});

/* Every key the page uses exists in English, and French has exactly the
 * English keys: a missing one would show the raw key on screen. */
async function usedKeys() {
	const keys = new Set();
	const html = await readFile(`${WEB}index.html`, 'utf8');
	for (const m of html.matchAll(/data-i18n(?:-[a-z-]+)?="([^"]+)"/g)) keys.add(m[1]);
	const files = (await readdir(`${WEB}js`, {recursive: true})).filter((f) => f.endsWith('.js'));
	for (const f of files) {
		const src = await readFile(`${WEB}js/${f}`, 'utf8');
		for (const m of src.matchAll(/\bt\('([^']+)'/g)) keys.add(m[1]);
	}
	return keys;
}

test('i18n__every_used_key_is_translated', async () => {
	for (const key of await usedKeys()) assert.ok(key in en, `en lacks ${key}`);
	assert.deepEqual(Object.keys(fr).sort(), Object.keys(en).sort());
	for (const [key, value] of Object.entries(en)) {
		const vars = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
		assert.deepEqual(vars(fr[key]), vars(value), `fr ${key} has other placeholders`);
	}
});
