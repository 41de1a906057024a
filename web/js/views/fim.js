/*
 * fim.js - The Integrity monitoring view: FIM alerts (group syscheck)
 * grouped by agent, then path, with what happened and what changed.
 *
 * It reads GET /api/alerts?group=syscheck; "Load more" follows `next` and
 * appends, so a file's history stays together under its agent as pages
 * arrive. Live FIM alerts are added the same way.
 */
import {get, itemsOf} from '../api.js';
import {$, h, messageRow} from '../dom.js';
import {alertMatches, alertPath, sortFim} from '../alerts.js';
import {openDetail} from '../detail.js';
import {fmtNum, fmtTime, t, tOr} from '../i18n.js';

const LIMIT = 100;
const COLUMNS = 5;
const HASHES = [['md5', 'MD5'], ['sha1', 'SHA-1'], ['sha256', 'SHA-256']];

let query = {group: 'syscheck'};
let items = null;
let next = null;

export function init() {
	$('fim-filters').addEventListener('submit', (e) => {
		e.preventDefault();
		query = {group: 'syscheck'};
		for (const [key, raw] of new FormData(e.target)) if (String(raw).trim()) query[key] = String(raw).trim();
		load().catch(showError);
	});
	$('fim-more').addEventListener('click', () => more().catch(showError));
}

function showError(err) {
	$('fim-status').textContent = t('common.error', {msg: err.message});
}

export async function load() {
	$('fim-status').textContent = t('common.loading');
	const data = await get('/api/alerts', {...query, limit: LIMIT});
	items = itemsOf(data);
	next = data?.next ?? null;
	render();
}

async function more() {
	if (!next) return;
	const data = await get('/api/alerts', {...query, limit: LIMIT, after: next});
	items = items.concat(itemsOf(data));
	next = data?.next ?? null;
	render();
}

/* A deleted file only has its "before" digests. */
function hashes(sc) {
	const suffix = sc.event === 'deleted' ? '_before' : '_after';
	const lines = HASHES.filter(([f]) => sc[f + suffix]).map(([f, label]) =>
		h('div', {class: 'hash'}, h('span', {class: 'muted'}, `${label} `), h('code', {}, sc[f + suffix])));
	return lines.length ? lines : '-';
}

function changed(sc) {
	const attrs = Array.isArray(sc.changed_attributes) ? sc.changed_attributes : [];
	return attrs.length ? attrs.map((a) => tOr(`attr.${a}`, a)).join(', ') : '-';
}

function row(alert) {
	const sc = alert.syscheck || {};
	return h('tr', {testid: 'fim-row', 'data-alert-id': alert.id},
		h('td', {class: 'path'}, h('button', {type: 'button', class: 'link', onclick: () => openDetail(alert)}, alertPath(alert) ?? '-')),
		h('td', {}, h('span', {class: `badge badge--${sc.event || 'other'}`}, tOr(`fim.${sc.event}`, sc.event ?? '-'))),
		h('td', {class: 'nowrap'}, fmtTime(alert.timestamp)),
		h('td', {}, changed(sc)),
		h('td', {}, hashes(sc)));
}

function groupRow(agent) {
	return h('tr', {class: 'row--group', testid: 'fim-agent'},
		h('th', {colspan: COLUMNS, scope: 'rowgroup'}, t('fim.agent', {id: agent?.id ?? '?', name: agent?.name ?? ''})));
}

export function render() {
	if (!items) return;
	const rows = [];
	let agentId;
	for (const alert of sortFim(items)) {
		if (alert.agent?.id !== agentId) rows.push(groupRow(alert.agent));
		agentId = alert.agent?.id;
		rows.push(row(alert));
	}
	$('fim-rows').replaceChildren(...(rows.length ? rows : [messageRow(t('fim.none'), COLUMNS)]));
	$('fim-status').textContent = t('fim.shown', {n: fmtNum(items.length)});
	$('fim-more').disabled = !next;
}

export function onAlert(alert) {
	if (!items || !alertMatches(alert, query)) return;
	if (items.some((a) => a.id === alert.id)) return;
	items.unshift(alert);
	render();
}
