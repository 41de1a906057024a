/*
 * main.js - The app's start: login or dashboard, the header (views,
 * language, sign out), the hash router and the live stream.
 *
 * The page loads without a session; GET /api/session says whether the
 * cookie is still good (and gives the CSRF token again, since the page
 * cannot read the HttpOnly cookie). Any 401 later brings the login back.
 */
import {ApiError, del, get, post, setCsrf} from './api.js';
import {$} from './dom.js';
import {applyStatic, currentLang, initLang, setLang, t} from './i18n.js';
import {initDetail} from './detail.js';
import {createLive} from './live.js';
import * as overview from './views/overview.js';
import * as events from './views/events.js';
import * as fim from './views/fim.js';
import * as virustotal from './views/virustotal.js';
import * as agents from './views/agents.js';

const VIEWS = {overview, events, fim, virustotal, agents};
const DEFAULT_VIEW = 'overview';

let active = null;

const live = createLive({
	onAlert: (alert) => Object.values(VIEWS).forEach((v) => v.onAlert?.(alert)),
	onState: showLiveState,
	onResync: () => loadActive(),
});

function showLiveState(state) {
	const el = $('live');
	el.dataset.state = state;
	el.className = `live live--${state}`;
	el.textContent = t(`live.${state}`);
	/* A stream closed for good may be an expired session: asking finds out,
	 * and a 401 shows the login page. */
	if (state === 'off' && !$('app').hidden) get('/api/session').catch(() => {});
}

function showError(err) {
	$('app-error').textContent = err ? t('common.error', {msg: err.message}) : '';
}

function loadActive() {
	showError(null);
	VIEWS[active].load().catch((err) => {
		if (!(err instanceof ApiError && err.status === 401)) showError(err);
	});
}

function route() {
	const name = location.hash.replace(/^#\//, '');
	const next = VIEWS[name] ? name : DEFAULT_VIEW;
	for (const key of Object.keys(VIEWS)) $(`view-${key}`).hidden = key !== next;
	for (const link of document.querySelectorAll('.nav a')) {
		if (link.dataset.view === next) link.setAttribute('aria-current', 'page');
		else link.removeAttribute('aria-current');
	}
	const moved = active !== null && active !== next;
	active = next;
	document.title = `${t(`nav.${next}`)} - ${t('app.title')}`;
	/* Moving focus to the new heading tells screen readers the view changed. */
	if (moved) $(`h-${next}`).focus();
	loadActive();
}

function showApp(session) {
	setCsrf(session?.csrf);
	$('whoami').textContent = session?.user ?? '';
	$('login').hidden = true;
	$('app').hidden = false;
	route();
	live.start();
	/* The agents view fills the filters' agent id suggestions. */
	if (active !== 'agents') agents.load().catch(() => {});
}

function showLogin(message = '') {
	$('app').hidden = true; /* first, so the stream's stop does not ask again */
	live.stop();
	setCsrf(null);
	$('login').hidden = false;
	$('login-error').textContent = message;
	$('login-user').focus();
}

function loginMessage(err) {
	if (err instanceof ApiError && err.status === 429) return t('login.rateLimited', {s: err.retryAfter ?? '?'});
	if (err instanceof ApiError && (err.status === 401 || err.status === 403)) return t('login.failed');
	return t('common.error', {msg: err.message});
}

async function onLogin(e) {
	e.preventDefault();
	const form = e.target;
	const button = form.querySelector('button[type=submit]');
	button.disabled = true;
	try {
		const session = await post('/api/session', {user: form.user.value, password: form.password.value});
		form.password.value = '';
		showApp(session);
	} catch (err) {
		$('login-error').textContent = loginMessage(err);
	} finally {
		button.disabled = false;
	}
}

async function onLogout() {
	try {
		await del('/api/session');
	} catch {
		/* the session is gone either way */
	}
	showLogin();
}

function onLanguage(e) {
	setLang(e.target.value);
	refreshText();
}

/* Rewrites every string: the static ones, then each view's data. */
function refreshText() {
	for (const select of document.querySelectorAll('select.lang')) select.value = currentLang();
	applyStatic();
	showLiveState($('live').dataset.state);
	if (active) document.title = `${t(`nav.${active}`)} - ${t('app.title')}`;
	Object.values(VIEWS).forEach((v) => v.render());
}

async function boot() {
	initLang();
	refreshText();
	initDetail();
	Object.values(VIEWS).forEach((v) => v.init?.());
	$('login-form').addEventListener('submit', onLogin);
	$('logout').addEventListener('click', onLogout);
	for (const select of document.querySelectorAll('select.lang')) select.addEventListener('change', onLanguage);
	window.addEventListener('hashchange', () => !$('app').hidden && route());
	document.addEventListener('vigie:unauthorized', () => showLogin(t('login.expired')));
	try {
		showApp(await get('/api/session'));
	} catch {
		showLogin();
	}
}

boot();
