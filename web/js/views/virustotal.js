/*
 * virustotal.js - The VirusTotal view: files judged malicious or suspicious
 * (with their report link and quarantine state, and a Restore button), and
 * the files still waiting for a lookup with the reason.
 *
 * A restore is only queued by the server (202 + command id): the agent runs
 * it when connected and the state changes when it reports back. Until then
 * the row says "restore requested" so nobody clicks twice.
 */
import {ApiError, get, itemsOf, post} from '../api.js';
import {$, h, messageRow} from '../dom.js';
import {isMaliciousVerdict, safeVtLink} from '../alerts.js';
import {fmtNum, fmtTime, t, tOr} from '../i18n.js';

const FILE_COLUMNS = 8;
const PENDING_COLUMNS = 5;

let files = null;   /* malicious then suspicious, each tagged with .verdict */
let pending = null;
const requested = new Map(); /* "agent/qid" -> command id */

export async function load() {
	$('vt-status').textContent = t('common.loading');
	const [mal, sus, wait] = await Promise.all(['malicious', 'suspicious', 'pending'].map((state) =>
		get('/api/virustotal/files', {state})));
	files = [...itemsOf(mal).map((f) => ({...f, verdict: 'malicious'})),
		...itemsOf(sus).map((f) => ({...f, verdict: 'suspicious'}))];
	pending = itemsOf(wait);
	$('vt-status').textContent = '';
	render();
}

function agentText(agent) {
	return `${agent?.id ?? ''} ${agent?.name ?? ''}`.trim() || '-';
}

function reportLink(file) {
	const href = safeVtLink(file.permalink);
	if (!href) return '-';
	return h('a', {href, target: '_blank', rel: 'noopener noreferrer', testid: 'vt-link'}, t('vt.open'));
}

async function restore(file, button) {
	const key = `${file.agent?.id}/${file.quarantine.id}`;
	if (!window.confirm(t('vt.confirmRestore', {path: file.path, agent: agentText(file.agent)}))) return;
	button.disabled = true;
	try {
		const data = await post(`/api/quarantine/${encodeURIComponent(file.agent?.id)}/${encodeURIComponent(file.quarantine.id)}/restore`, {force: false});
		requested.set(key, data?.command_id ?? '?');
		$('vt-status').textContent = t('vt.restoreQueued', {path: file.path, id: data?.command_id ?? '?'});
	} catch (err) {
		const msg = err instanceof ApiError && err.status === 409 ? t('vt.restoreGone') : err.message;
		$('vt-status').textContent = t('common.error', {msg});
	}
	await load().catch(() => {});
}

function quarantineCell(file) {
	const q = file.quarantine;
	if (!q) return h('span', {class: 'muted', testid: 'q-state'}, t('q.none'));
	const state = h('span', {class: `badge badge--${q.state}`, testid: 'q-state'}, tOr(`q.${q.state}`, q.state));
	const key = `${file.agent?.id}/${q.id}`;
	if (requested.has(key) && q.state === 'quarantined')
		return [state, ' ', h('span', {class: 'muted', testid: 'restore-requested'}, t('vt.requested', {id: requested.get(key)}))];
	if (q.state !== 'quarantined') return state;
	const button = h('button', {type: 'button', class: 'small', testid: 'restore-button', 'data-qid': q.id,
		'aria-label': t('vt.restoreLabel', {path: file.path})}, t('vt.restore'));
	button.addEventListener('click', () => restore(file, button));
	return [state, ' ', button];
}

function fileRow(file) {
	return h('tr', {testid: 'vt-file', 'data-sha256': file.sha256, 'data-verdict': file.verdict},
		h('td', {}, h('span', {class: `badge badge--${file.verdict}`}, t(`vt.${file.verdict}`))),
		h('td', {class: 'path'}, file.path ?? '-'),
		h('td', {}, agentText(file.agent)),
		h('td', {class: 'num'}, `${fmtNum(Number(file.positives))}/${fmtNum(Number(file.total))}`),
		h('td', {}, file.threat_label || '-'),
		h('td', {class: 'nowrap'}, fmtTime(file.first_seen)),
		h('td', {}, reportLink(file)),
		h('td', {class: 'nowrap'}, quarantineCell(file)));
}

function pendingRow(file) {
	return h('tr', {testid: 'vt-pending-row'},
		h('td', {class: 'path'}, file.path ?? '-'),
		h('td', {}, agentText(file.agent)),
		h('td', {}, h('code', {class: 'hash'}, file.sha256 ?? '-')),
		h('td', {class: 'nowrap'}, fmtTime(file.since)),
		h('td', {}, tOr(`why.${file.why}`, file.why ?? '-')));
}

export function render() {
	if (!files) return;
	$('vt-files').replaceChildren(...(files.length ? files.map(fileRow) : [messageRow(t('vt.noneJudged'), FILE_COLUMNS)]));
	$('vt-pending').replaceChildren(...(pending.length ? pending.map(pendingRow) : [messageRow(t('vt.noneWaiting'), PENDING_COLUMNS)]));
}

/* A new verdict or quarantine report changes this view: reload it. */
export function onAlert(alert) {
	if (files && (isMaliciousVerdict(alert) || (alert.rule?.groups || []).includes('active_response')))
		load().catch(() => {});
}
