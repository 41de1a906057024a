/*
 * events.js - The Security events view: the alerts table, its filters,
 * cursor paging and the detail panel.
 *
 * The server pages with an opaque cursor (`next`), which only goes forward;
 * going back pops the cursors of the pages already seen. New alerts from
 * the live stream are prepended only on the first page and only when they
 * match the filters, so the table never shows what a reload would not.
 */
import {get, itemsOf} from '../api.js';
import {$, h, messageRow} from '../dom.js';
import {alertMatches, levelBand} from '../alerts.js';
import {openDetail} from '../detail.js';
import {fmtNum, fmtTime, t} from '../i18n.js';

const LIMIT = 50;
const COLUMNS = 5;
/* Live rows grow the first page past LIMIT (dropping its last row would
 * hide it from paging: `next` points after it); past this many the oldest
 * go, and a reload brings them back. */
const LIVE_MAX = 500;
const TIME_FIELDS = new Set(['since', 'until']);

let query = {};
let back = [];      /* cursors of the pages before this one */
let after = null;   /* this page's cursor, null on the first page */
let next = null;
let items = null;
let fresh = new Set(); /* ids that arrived live, highlighted until reload */

export function init() {
	const form = $('ev-filters');
	form.addEventListener('submit', (e) => {
		e.preventDefault();
		query = readFilters(form);
		firstPage();
	});
	form.addEventListener('reset', () => {
		query = {};
		firstPage();
	});
	$('ev-next').addEventListener('click', () => turn(1));
	$('ev-prev').addEventListener('click', () => turn(-1));
}

/* datetime-local gives local wall time without a zone: send it as UTC ISO
 * so the server and the live matching read the same instant. */
function readFilters(form) {
	const out = {};
	for (const [key, raw] of new FormData(form)) {
		const value = String(raw).trim();
		if (!value) continue;
		out[key] = TIME_FIELDS.has(key) ? new Date(value).toISOString() : value;
	}
	return out;
}

function firstPage() {
	back = [];
	after = null;
	load().catch(showError);
}

function turn(dir) {
	if (dir > 0 && next) {
		back.push(after);
		after = next;
	} else if (dir < 0 && back.length) {
		after = back.pop();
	} else {
		return;
	}
	load().catch(showError);
}

function showError(err) {
	$('ev-status').textContent = t('common.error', {msg: err.message});
}

export async function load() {
	$('ev-status').textContent = t('common.loading');
	const data = await get('/api/alerts', {...query, limit: LIMIT, after});
	items = itemsOf(data);
	next = data?.next ?? null;
	fresh = new Set();
	render();
}

function row(alert) {
	const level = alert.rule?.level;
	const tr = h('tr', {tabindex: 0, testid: 'event-row', 'data-alert-id': alert.id,
		class: fresh.has(alert.id) ? 'row--new' : null,
		onclick: () => openDetail(alert),
		onkeydown: (e) => {
			if (e.key === 'Enter' || e.key === ' ') {
				e.preventDefault();
				openDetail(alert);
			}
		}},
	h('td', {class: 'nowrap'}, fmtTime(alert.timestamp)),
	h('td', {}, `${alert.agent?.id ?? ''} ${alert.agent?.name ?? ''}`.trim()),
	h('td', {}, alert.rule?.id ?? ''),
	h('td', {class: 'num'}, h('span', {class: `badge badge--${levelBand(level)}`}, level ?? '')),
	h('td', {}, alert.rule?.description ?? ''));
	return tr;
}

export function render() {
	if (!items) return;
	const rows = items.length ? items.map(row) : [messageRow(t('ev.none'), COLUMNS)];
	$('ev-rows').replaceChildren(...rows);
	$('ev-status').textContent = t('ev.shown', {n: fmtNum(items.length)});
	$('ev-page').textContent = t('pager.page', {n: back.length + 1});
	$('ev-prev').disabled = back.length === 0;
	$('ev-next').disabled = !next;
}

export function onAlert(alert) {
	if (!items || after !== null || !alertMatches(alert, query)) return;
	if (items.some((a) => a.id === alert.id)) return;
	fresh.add(alert.id);
	items.unshift(alert);
	if (items.length > LIVE_MAX) items.pop();
	render();
}
