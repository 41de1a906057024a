/*
 * chart.js - The overview's bar chart: alerts per time bucket, stacked by
 * level band (low, medium, high, critical).
 *
 * Drawn as SVG with geometry in attributes and colours in app.css classes
 * (the CSP forbids style attributes). Each bar has a <title> for pointer
 * users; screen readers get a summary label plus a text list in the legend.
 */
import {svg} from './dom.js';
import {BANDS, levelBand} from './alerts.js';
import {fmtHour, fmtNum, parseTime, t} from './i18n.js';

const W = 720;
const H = 220;
const PAD_L = 40;
const PAD_B = 24;
const PAD_T = 8;
const MAX_X_LABELS = 8;

/* One bucket {start, levels: {"5": 3, "12": 1}} -> {date, total, bands}. */
export function bandCounts(bucket) {
	const bands = Object.fromEntries(BANDS.map((b) => [b, 0]));
	for (const [level, count] of Object.entries(bucket.levels || {})) bands[levelBand(level)] += Number(count) || 0;
	const total = BANDS.reduce((sum, b) => sum + bands[b], 0);
	return {date: parseTime(bucket.start), total, bands};
}

function yAxis(max, plotH) {
	return [
		svg('line', {x1: PAD_L, x2: W, y1: PAD_T + plotH, y2: PAD_T + plotH, class: 'axis'}),
		svg('text', {x: PAD_L - 6, y: PAD_T + 10, class: 'tick tick--y'}, fmtNum(max)),
		svg('text', {x: PAD_L - 6, y: PAD_T + plotH, class: 'tick tick--y'}, '0'),
	];
}

function bar(row, x, width, scale, plotH) {
	const g = svg('g', {class: 'bar'});
	const label = row.date ? fmtHour(row.date) : '';
	const parts = BANDS.filter((b) => row.bands[b]).map((b) => `${t(`band.${b}`)} ${fmtNum(row.bands[b])}`);
	g.append(svg('title', {}, `${label}: ${t('ov.alertsN', {n: fmtNum(row.total)})}${parts.length ? ` (${parts.join(', ')})` : ''}`));
	let y = PAD_T + plotH;
	for (const band of BANDS) {
		const h = row.bands[band] * scale;
		if (!h) continue;
		y -= h;
		g.append(svg('rect', {x, y, width, height: h, class: `fill--${band}`}));
	}
	return g;
}

function xLabels(rows, step) {
	const every = Math.max(1, Math.ceil(rows.length / MAX_X_LABELS));
	const out = [];
	rows.forEach((row, i) => {
		if (i % every || !row.date) return;
		out.push(svg('text', {x: PAD_L + i * step + step / 2, y: H - 6, class: 'tick tick--x'}, fmtHour(row.date)));
	});
	return out;
}

/* buckets: /api/stats alerts_by_level. Returns the <svg>. */
export function drawChart(buckets) {
	const rows = buckets.map(bandCounts);
	const total = rows.reduce((sum, r) => sum + r.total, 0);
	const max = Math.max(1, ...rows.map((r) => r.total));
	const plotH = H - PAD_B - PAD_T;
	const step = rows.length ? (W - PAD_L) / rows.length : 0;
	const root = svg('svg', {viewBox: `0 0 ${W} ${H}`, role: 'img', class: 'chart__svg',
		'aria-label': t('ov.chartLabel', {n: fmtNum(total), buckets: rows.length})});
	root.append(...yAxis(max, plotH));
	rows.forEach((row, i) => root.append(bar(row, PAD_L + i * step + 1, Math.max(1, step - 2), plotH / max, plotH)));
	root.append(...xLabels(rows, step));
	return root;
}
