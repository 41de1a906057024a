/*
 * alerts.js - What the views need to know about an alert (pure: no DOM, so
 * tests/web/unit.mjs runs it under node).
 *
 * The live stream pushes every new alert; the Security events view shows it
 * only if the server would have returned it for the current filters, so the
 * filters of GET /api/alerts are mirrored here. The server stays the
 * reference: a reload gives its answer.
 */

const HASH_FIELDS = ['md5', 'sha1', 'sha256'];

/* Wazuh's level bands, as its dashboards colour them. */
export function levelBand(level) {
	const n = Number(level) || 0;
	if (n >= 12) return 'critical';
	if (n >= 8) return 'high';
	if (n >= 4) return 'medium';
	return 'low';
}

export const BANDS = ['low', 'medium', 'high', 'critical'];

function timeMs(value) {
	if (value == null || value === '') return null;
	if (typeof value === 'number' || /^\d+$/.test(value)) return Number(value);
	const ms = Date.parse(String(value).replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));
	return Number.isNaN(ms) ? null : ms;
}

/* The file an alert is about: FIM alerts name it in syscheck, VirusTotal
 * alerts in data.virustotal.source. */
export function alertPath(alert) {
	return alert?.syscheck?.path ?? alert?.data?.virustotal?.source?.file ?? null;
}

/* Every digest the alert carries, lowercase. */
export function alertHashes(alert) {
	const out = [];
	const sc = alert?.syscheck || {};
	for (const f of HASH_FIELDS) out.push(sc[`${f}_after`], sc[`${f}_before`]);
	const vt = alert?.data?.virustotal || {};
	out.push(vt.sha1, vt.sha256, vt.source?.md5, vt.source?.sha1, vt.source?.sha256);
	return out.filter((x) => typeof x === 'string' && x).map((x) => x.toLowerCase());
}

const CHECKS = {
	since: (a, v) => timeMs(a.timestamp) >= timeMs(v),
	until: (a, v) => timeMs(a.timestamp) <= timeMs(v),
	'agent.id': (a, v) => a.agent?.id === v,
	level: (a, v) => Number(a.rule?.level) >= Number(v),
	'rule.id': (a, v) => String(a.rule?.id) === String(v),
	group: (a, v) => (a.rule?.groups || []).includes(v),
	q: (a, v) => String(a.rule?.description || '').toLowerCase().includes(v.toLowerCase()),
	path: (a, v) => (alertPath(a) || '').startsWith(v),
	hash: (a, v) => alertHashes(a).includes(v.toLowerCase()),
};

/* query: the same object sent as GET /api/alerts parameters. Unknown keys
 * (limit, after) do not filter. */
export function alertMatches(alert, query) {
	for (const [key, value] of Object.entries(query)) {
		if (value == null || value === '' || !CHECKS[key]) continue;
		if (!CHECKS[key](alert, value)) return false;
	}
	return true;
}

/* A VirusTotal alert that says the file is malicious (rule 87105). */
export function isMaliciousVerdict(alert) {
	const vt = alert?.data?.virustotal;
	return !!vt && String(vt.malicious) === '1';
}

/* VirusTotal's pages only: a permalink is data from the server, and a
 * "javascript:" or look-alike URL must not become a link. */
export function safeVtLink(url) {
	try {
		const u = new URL(url);
		const host = u.hostname;
		return u.protocol === 'https:' && (host === 'virustotal.com' || host.endsWith('.virustotal.com')) ? u.href : null;
	} catch {
		return null;
	}
}

/* Sort FIM alerts by agent, then path, newest first within a path, so the
 * view can print one group per agent with a file's history together. */
export function sortFim(alerts) {
	return [...alerts].sort((x, y) =>
		String(x.agent?.id).localeCompare(String(y.agent?.id)) ||
		String(alertPath(x)).localeCompare(String(alertPath(y))) ||
		(timeMs(y.timestamp) ?? 0) - (timeMs(x.timestamp) ?? 0));
}
