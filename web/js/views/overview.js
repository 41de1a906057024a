/*
 * overview.js - The Overview view: alerts over time by level, top rules and
 * agents, malicious files, and the VirusTotal quota, lookup queue and cache.
 *
 * Two requests: GET /api/stats for the alert figures and GET
 * /api/virustotal/quota for the quota, queue and cache (its shape is the
 * contract's most precise one). Live alerts bump the chart's last bucket
 * and the malicious count in place, without asking the server again.
 */
import {get} from '../api.js';
import {$, h, messageRow} from '../dom.js';
import {drawChart} from '../chart.js';
import {BANDS, isMaliciousVerdict} from '../alerts.js';
import {fmtNum, fmtPct, fmtTime, parseTime, t} from '../i18n.js';

const WINDOWS = ['minute', 'day', 'month'];
const DEFAULT_BUCKET_MS = 3600 * 1000;

let stats = null;
let quota = null;

export async function load() {
	[stats, quota] = await Promise.all([get('/api/stats'), get('/api/virustotal/quota')]);
	render();
}

function renderChart() {
	const buckets = stats.alerts_by_level || [];
	$('ov-chart').replaceChildren(drawChart(buckets));
	$('ov-legend').replaceChildren(...BANDS.map((b) =>
		h('li', {}, h('span', {class: `swatch fill--${b}`, 'aria-hidden': 'true'}), t(`band.${b}`))));
	const total = buckets.reduce((sum, b) => sum + Object.values(b.levels || {}).reduce((x, y) => x + Number(y), 0), 0);
	$('ov-alerts').textContent = fmtNum(total);
}

function topRows(list, cells, testid) {
	if (!list || !list.length) return [messageRow(t('common.none'), 3)];
	return list.map((item) => h('tr', {testid}, ...cells(item).map((c, i) => h('td', {class: i === 2 ? 'num' : null}, c))));
}

function gauge(name, w) {
	const limit = Number(w?.limit) || 0;
	const used = Number(w?.used) || 0;
	const meter = h('meter', {min: 0, max: Math.max(limit, 1), value: Math.min(used, Math.max(limit, 1)),
		low: limit * 0.7, high: limit * 0.9, optimum: 0, 'aria-label': t(`quota.${name}`)});
	return h('div', {class: 'gauge', testid: `quota-${name}`},
		h('div', {class: 'gauge__head'}, h('strong', {}, t(`quota.${name}`)),
			h('span', {}, t('quota.usedOf', {used: fmtNum(used), limit: fmtNum(limit)}))),
		meter,
		h('div', {class: 'gauge__foot muted'},
			h('span', {}, t('quota.left', {n: fmtNum(Number(w?.left) || 0)})),
			h('span', {}, t('quota.resets', {time: fmtTime(w?.resets_at)}))));
}

export function render() {
	if (!stats || !quota) return;
	renderChart();
	$('ov-malicious').textContent = fmtNum(stats.malicious_files);
	$('ov-queue').textContent = fmtNum(quota.queue);
	$('ov-cache').textContent = fmtPct(quota.cache?.ratio);
	$('ov-quota').replaceChildren(...WINDOWS.map((name) => gauge(name, quota[name])));
	$('ov-top-rules').replaceChildren(...topRows(stats.top_rules, (r) => [r.id, r.description, fmtNum(r.count)], 'top-rule'));
	$('ov-top-agents').replaceChildren(...topRows(stats.top_agents, (a) => [a.id, a.name, fmtNum(a.count)], 'top-agent'));
}

/* The bucket a live alert falls in: the last one, or a new one after it
 * (the oldest then drops out so the window keeps its length). */
function bucketFor(buckets, when) {
	const last = buckets[buckets.length - 1];
	const lastStart = parseTime(last?.start)?.getTime();
	if (lastStart == null) return null;
	const prev = parseTime(buckets[buckets.length - 2]?.start)?.getTime();
	const size = prev != null ? lastStart - prev : DEFAULT_BUCKET_MS;
	if (when < lastStart + size) return when >= lastStart ? last : null;
	const start = lastStart + Math.floor((when - lastStart) / size) * size;
	const fresh = {start: new Date(start).toISOString(), levels: {}};
	buckets.push(fresh);
	buckets.shift();
	return fresh;
}

export function onAlert(alert) {
	if (!stats) return;
	const when = parseTime(alert.timestamp)?.getTime() ?? Date.now();
	const bucket = bucketFor(stats.alerts_by_level || [], when);
	if (bucket) {
		const level = String(alert.rule?.level ?? 0);
		bucket.levels[level] = (Number(bucket.levels[level]) || 0) + 1;
	}
	if (isMaliciousVerdict(alert)) stats.malicious_files = (Number(stats.malicious_files) || 0) + 1;
	render();
}
