/*
 * api.js - The REST API client (docs/api.md).
 *
 * The session cookie is HttpOnly, so the page never sees it: fetch sends it
 * (same origin). What the page keeps is the CSRF token the login answered;
 * every POST/PUT/DELETE carries it as X-CSRF-Token, as the server demands.
 * A 401 anywhere means the session is gone: the app is told through the
 * "vigie:unauthorized" event and shows the login page.
 */

const UNSAFE = new Set(['POST', 'PUT', 'DELETE']);

let csrf = null;

export class ApiError extends Error {
	constructor(status, detail, retryAfter = null) {
		super(detail || `HTTP ${status}`);
		this.status = status;
		this.retryAfter = retryAfter;
	}
}

export function setCsrf(token) {
	csrf = token || null;
}

/* "/api/alerts" + {level: 5, q: ''} -> "/api/alerts?level=5": empty
 * filters are left out rather than sent as "matches the empty string". */
export function buildUrl(path, query = {}) {
	const params = new URLSearchParams();
	for (const [key, value] of Object.entries(query)) {
		if (value == null || value === '') continue;
		params.append(key, String(value));
	}
	const qs = params.toString();
	return qs ? `${path}?${qs}` : path;
}

function headersFor(method, body) {
	const headers = {Accept: 'application/json'};
	if (body !== undefined) headers['Content-Type'] = 'application/json';
	if (UNSAFE.has(method) && csrf) headers['X-CSRF-Token'] = csrf;
	return headers;
}

/* The error body is {"error":N,"title":...,"detail":...}; a proxy's HTML
 * page or an empty body still gives a usable message. */
async function readJson(resp) {
	const text = await resp.text();
	if (!text) return null;
	try {
		return JSON.parse(text);
	} catch {
		return null;
	}
}

export async function request(method, path, {query, body} = {}) {
	const resp = await fetch(buildUrl(path, query), {
		method,
		headers: headersFor(method, body),
		body: body === undefined ? undefined : JSON.stringify(body),
		credentials: 'same-origin',
		cache: 'no-store',
	});
	const json = await readJson(resp);
	if (resp.ok) return json ? json.data : null;
	if (resp.status === 401) document.dispatchEvent(new CustomEvent('vigie:unauthorized'));
	const detail = json && (json.detail || json.title);
	throw new ApiError(resp.status, detail, resp.headers.get('Retry-After'));
}

export const get = (path, query) => request('GET', path, {query});
export const post = (path, body) => request('POST', path, {body});
export const del = (path) => request('DELETE', path);

/* Paged lists answer {affected_items, total_affected_items?, next?}. */
export function itemsOf(data) {
	return (data && Array.isArray(data.affected_items) && data.affected_items) || [];
}
