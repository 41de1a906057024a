/*
 * mock-server.mjs - Test only: serves web/ and canned answers of the REST
 * API (docs/api-draft.md) so the dashboard runs in a browser without a
 * manager. Not a model of the manager's logic beyond what the UI needs.
 *
 *   node tests/web/mock-server.mjs [PORT]     (default 5699; 0 = any)
 *
 * Prints "listening on http://127.0.0.1:PORT" once ready. Login: admin /
 * admin (MOCK_PASSWORD overrides). Test hooks, unauthenticated:
 *   POST /__mock/eicar   a new 554 + 87105 pair, now, pushed on /api/stream
 *   POST /__mock/alert   the JSON body as one new alert, pushed likewise
 * The same strict CSP as the manager's is sent, so a page that breaks it
 * fails here too.
 */
import {createServer} from 'node:http';
import {randomBytes} from 'node:crypto';
import {readFile} from 'node:fs/promises';
import {extname, join, normalize} from 'node:path';
import {fileURLToPath} from 'node:url';
import {alertMatches} from '../../web/js/alerts.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const WEB = normalize(join(HERE, '../../web'));
const PASSWORD = process.env.MOCK_PASSWORD || 'admin';
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const TYPES = {'.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
	'.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.json': 'application/json'};
const HOUR = 3600 * 1000;

const seed = JSON.parse(await readFile(join(HERE, 'fixtures/seed-alerts.json'), 'utf8'));
const sessions = new Map(); /* cookie -> {user, csrf} */
const streams = new Set();
const agents = [
	{id: '000', name: 'vigie-manager', ip: '127.0.0.1', status: 'active', version: 'Vigie v0.7.0',
		last_keepalive: new Date().toISOString(), enrolled: '2024-01-09T08:00:00Z', groups: []},
	{id: '001', name: 'ubuntu-jammy', ip: '192.168.56.30', status: 'active', version: 'Vigie v0.7.0',
		last_keepalive: new Date().toISOString(), enrolled: '2024-01-09T08:10:00Z', groups: ['default']},
	{id: '002', name: 'web1', ip: 'any', status: 'never_connected', version: '',
		last_keepalive: null, enrolled: '2024-01-09T09:00:00Z', groups: ['default']},
];
const quarantine = [{agent_id: '001', id: '0190c3a1b2d4e5f6', state: 'quarantined', path: '/root/TestEICAR.txt',
	size: 69, sha256: '131f95c51cc819465fa1797f6ccacf9d494aaaff46fa3eac73ae63ffbdfd8267',
	quarantined_at: '2024-01-10T12:52:09.120Z'}];
let alerts = makeAlerts();
let nextCommand = 1;

/* 150 FIM alerts spread over the last day (so paging has three pages),
 * then the seed's older EICAR pair; newest first, as the API answers. */
function makeAlerts() {
	const now = Date.now();
	const out = [];
	for (let i = 0; i < 150; i++) {
		const a = structuredClone(seed[0]);
		const ts = now - (i + 1) * 9 * 60 * 1000;
		a.id = `${Math.floor(ts / 1000)}.${1000 + i}`;
		a.timestamp = new Date(ts).toISOString();
		a.rule = {...a.rule, id: i % 3 ? '550' : '554', level: i % 3 ? 7 : 5,
			description: i % 3 ? 'Integrity checksum changed.' : 'File added to the system.'};
		a.syscheck = {...a.syscheck, path: `/etc/app/file${i % 10}.conf`, event: i % 3 ? 'modified' : 'added',
			changed_attributes: i % 3 ? ['size', 'mtime', 'sha256'] : undefined};
		out.push(a);
	}
	return [...out, ...seed.slice().reverse()];
}

function send(res, status, body, headers = {}) {
	res.writeHead(status, {'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers});
	res.end(JSON.stringify(body));
}

function error(res, status, detail) {
	send(res, status, {error: status, title: String(status), detail});
}

function list(res, items, next = undefined) {
	send(res, 200, {data: {affected_items: items, total_affected_items: items.length, next}, error: 0});
}

async function body(req) {
	const chunks = [];
	for await (const c of req) chunks.push(c);
	const text = Buffer.concat(chunks).toString('utf8');
	return text ? JSON.parse(text) : {};
}

function session(req) {
	const m = /(?:^|;\s*)vigie_session=([^;]+)/.exec(req.headers.cookie || '');
	return m ? sessions.get(m[1]) : undefined;
}

function broadcast(alert) {
	alerts.unshift(alert);
	for (const res of streams) res.write(`event: alert\nid: ${alert.id}\ndata: ${JSON.stringify(alert)}\n\n`);
}

function eicar() {
	const now = Date.now();
	const [fim, vt] = structuredClone(seed);
	fim.id = `${Math.floor(now / 1000)}.1`;
	fim.timestamp = new Date(now).toISOString();
	vt.id = `${Math.floor(now / 1000)}.2`;
	vt.timestamp = new Date(now + 1).toISOString();
	vt.data.virustotal.source.alert_id = fim.id;
	return [fim, vt];
}

function alertsPage(url, res) {
	const q = Object.fromEntries(url.searchParams);
	const limit = Math.min(Math.max(Number(q.limit) || 50, 1), 500);
	if (q.level && !/^\d+$/.test(q.level)) return error(res, 400, `level: expected 0..16, got '${q.level}'`);
	let items = alerts.filter((a) => alertMatches(a, q));
	if (q.after) items = items.slice(items.findIndex((a) => a.id === q.after) + 1);
	const page = items.slice(0, limit);
	list(res, page, items.length > limit ? page[page.length - 1].id : null);
}

function stats(res) {
	const now = Date.now();
	const start = Math.floor(now / HOUR) * HOUR - 23 * HOUR;
	const buckets = Array.from({length: 24}, (_, i) => ({start: new Date(start + i * HOUR).toISOString(), levels: {}}));
	for (const a of alerts) {
		const i = Math.floor((Date.parse(a.timestamp.replace(/([+-]\d\d)(\d\d)$/, '$1:$2')) - start) / HOUR);
		if (i >= 0 && i < 24) buckets[i].levels[a.rule.level] = (buckets[i].levels[a.rule.level] || 0) + 1;
	}
	send(res, 200, {data: {alerts_by_level: buckets,
		top_rules: [{id: '550', description: 'Integrity checksum changed.', count: 100},
			{id: '554', description: 'File added to the system.', count: 51}, {id: '87105', description: 'VirusTotal: Alert', count: 1}],
		top_agents: [{id: '001', name: 'ubuntu-jammy', count: 152}],
		malicious_files: alerts.filter((a) => a.rule.id === '87105').length,
		lookup_queue: 2, cache_hit_ratio: 0.75}, error: 0});
}

function quota(res) {
	const w = (used, limit, ms) => ({used, limit, left: limit - used, resets_at: new Date(Date.now() + ms).toISOString()});
	send(res, 200, {data: {minute: w(3, 4, 40e3), day: w(120, 500, 5 * HOUR), month: w(2100, 15500, 240 * HOUR),
		queue: 2, cache: {hits: 30, misses: 10, ratio: 0.75}}, error: 0});
}

function vtFiles(url, res) {
	const state = url.searchParams.get('state') || 'malicious';
	const q = quarantine[0];
	if (state === 'malicious') {
		const vt = seed[1].data.virustotal;
		return list(res, [{agent: {id: '001', name: 'ubuntu-jammy'}, path: vt.source.file, sha256: q.sha256,
			positives: Number(vt.positives), total: Number(vt.total), threat_label: 'trojan.eicar/test',
			first_seen: seed[1].timestamp, permalink: vt.permalink, alert_id: seed[1].id,
			quarantine: {state: q.state, id: q.id}}]);
	}
	if (state === 'suspicious') return list(res, []);
	return list(res, [{agent: {id: '001', name: 'ubuntu-jammy'}, path: '/tmp/new.bin', sha256: 'ab'.repeat(32),
		since: new Date(Date.now() - 60e3).toISOString(), why: 'quota'}]);
}

/* The agent "runs" the restore a moment later and reports it (rule 99914). */
function restore(res, agent, id) {
	const q = quarantine.find((f) => f.agent_id === agent && f.id === id);
	if (!q) return error(res, 404, `no quarantined file ${id} on agent ${agent}`);
	if (q.state !== 'quarantined') return error(res, 409, `file ${id} is ${q.state}`);
	const commandId = nextCommand++;
	setTimeout(() => {
		q.state = 'restored';
		broadcast({timestamp: new Date().toISOString(), id: `${Math.floor(Date.now() / 1000)}.9`,
			rule: {level: 3, id: '99914', description: `Quarantined file restored: ${q.path}`, groups: ['active_response']},
			agent: {id: agent, name: 'ubuntu-jammy'}});
	}, 500);
	send(res, 202, {data: {command_id: commandId}, error: 0});
}

function stream(req, res) {
	res.writeHead(200, {'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store'});
	res.write(': hello\n\n');
	streams.add(res);
	const keepalive = setInterval(() => res.write(': keepalive\n\n'), 15000);
	req.on('close', () => {
		clearInterval(keepalive);
		streams.delete(res);
	});
}

async function login(req, res) {
	const b = await body(req).catch(() => ({}));
	if (b.user !== 'admin' || b.password !== PASSWORD) return error(res, 401, 'wrong user or password');
	const cookie = randomBytes(16).toString('hex');
	const s = {user: 'admin', csrf: randomBytes(16).toString('hex')};
	sessions.set(cookie, s);
	send(res, 200, {data: s, error: 0}, {'Set-Cookie': `vigie_session=${cookie}; HttpOnly; SameSite=Strict; Path=/`});
}

/* Routes behind the session: [method, pattern, handler(req, res, url, match)]. */
const ROUTES = [
	['GET', /^\/api\/session$/, (req, res) => send(res, 200, {data: session(req), error: 0})],
	['DELETE', /^\/api\/session$/, (req, res) => {
		sessions.delete(/vigie_session=([^;]+)/.exec(req.headers.cookie)[1]);
		send(res, 200, {data: {}, error: 0});
	}],
	['GET', /^\/api\/alerts$/, (req, res, url) => alertsPage(url, res)],
	['GET', /^\/api\/alerts\/([^/]+)$/, (req, res, url, m) => {
		const a = alerts.find((x) => x.id === m[1]);
		return a ? list(res, [a]) : error(res, 404, `no alert ${m[1]}`);
	}],
	['GET', /^\/api\/agents$/, (req, res) => list(res, agents)],
	['GET', /^\/api\/stats$/, (req, res) => stats(res)],
	['GET', /^\/api\/virustotal\/quota$/, (req, res) => quota(res)],
	['GET', /^\/api\/virustotal\/files$/, (req, res, url) => vtFiles(url, res)],
	['GET', /^\/api\/quarantine$/, (req, res) => list(res, quarantine)],
	['POST', /^\/api\/quarantine\/([^/]+)\/([^/]+)\/restore$/, (req, res, url, m) => restore(res, m[1], m[2])],
	['GET', /^\/api\/stream$/, (req, res) => stream(req, res)],
];

async function api(req, res, url) {
	if (url.pathname === '/api/session' && req.method === 'POST') return login(req, res);
	const s = session(req);
	if (!s) return error(res, 401, 'not authenticated');
	if (req.method !== 'GET' && req.headers['x-csrf-token'] !== s.csrf) return error(res, 403, 'bad CSRF token');
	for (const [method, pattern, fn] of ROUTES) {
		const m = pattern.exec(url.pathname);
		if (m && method === req.method) return fn(req, res, url, m);
	}
	return error(res, 404, `no route ${url.pathname}`);
}

async function hooks(req, res, url) {
	const added = url.pathname === '/__mock/eicar' ? eicar() : [await body(req)];
	for (const a of added) broadcast(a);
	send(res, 200, {added: added.map((a) => a.id)});
}

async function file(res, url) {
	const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname).slice(1);
	const path = normalize(join(WEB, rel));
	if (!path.startsWith(WEB + '/') || rel.split('/').some((p) => p.startsWith('.'))) return error(res, 404, 'not found');
	try {
		const data = await readFile(path);
		res.writeHead(200, {'Content-Type': TYPES[extname(path)] || 'application/octet-stream',
			'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache'});
		res.end(data);
	} catch {
		error(res, 404, 'not found');
	}
}

const server = createServer((req, res) => {
	const url = new URL(req.url, 'http://localhost');
	let work;
	if (url.pathname.startsWith('/api/')) work = api(req, res, url);
	else if (url.pathname.startsWith('/__mock/') && req.method === 'POST') work = hooks(req, res, url);
	else work = file(res, url);
	work.catch((err) => error(res, 500, err.message));
});

server.listen(Number(process.argv[2] ?? 5699), '127.0.0.1', () => {
	console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
