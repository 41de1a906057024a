/*
 * i18n.js - The dictionary, the current language and locale-aware formats.
 *
 * Static text in index.html names its key in data-i18n (textContent) or
 * data-i18n-aria-label / -placeholder / -title (attributes); applyStatic()
 * rewrites them all. Dynamic text calls t(). The language is remembered in
 * localStorage; the first visit follows the browser's language. Dates and
 * numbers go through Intl so a French reader sees "10 janv. 2024, 13:52:04".
 */
import en from './i18n/en.js';
import fr from './i18n/fr.js';

const DICTS = {en, fr};
const STORE_KEY = 'vigie.lang';
const ATTRS = ['aria-label', 'placeholder', 'title'];

let lang = 'en';

export function languages() {
	return Object.keys(DICTS);
}

export function currentLang() {
	return lang;
}

/* localStorage can throw (privacy modes): the language is then not kept. */
function stored() {
	try {
		return localStorage.getItem(STORE_KEY);
	} catch {
		return null;
	}
}

export function initLang() {
	const saved = stored();
	const browser = (navigator.language || 'en').slice(0, 2);
	lang = DICTS[saved] ? saved : DICTS[browser] ? browser : 'en';
	document.documentElement.lang = lang;
}

export function setLang(next) {
	if (!DICTS[next]) return;
	lang = next;
	document.documentElement.lang = lang;
	try {
		localStorage.setItem(STORE_KEY, lang);
	} catch {
		/* not remembered, still switched */
	}
}

/* t('vt.restoreQueued', {id: 7}): "{id}" placeholders are replaced; a key
 * missing in French falls back to English, then to the key itself so a gap
 * shows up on screen instead of an empty cell. */
export function t(key, vars = {}) {
	const text = DICTS[lang][key] ?? DICTS.en[key] ?? key;
	return text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

/* Like t() but for words that come from the server (statuses, reasons):
 * unknown ones are shown as they are. */
export function tOr(key, fallback) {
	return DICTS[lang][key] ?? DICTS.en[key] ?? fallback;
}

export function applyStatic(root = document) {
	for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
	for (const attr of ATTRS) {
		for (const el of root.querySelectorAll(`[data-i18n-${attr}]`))
			el.setAttribute(attr, t(el.getAttribute(`data-i18n-${attr}`)));
	}
}

/* Alerts say "2024-01-10T12:52:04.611+0000": the offset without a colon is
 * not ISO 8601's extended form, which only some engines accept, so add it. */
export function parseTime(value) {
	if (value == null || value === '') return null;
	if (typeof value === 'number') return new Date(value);
	const d = new Date(String(value).replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));
	return Number.isNaN(d.getTime()) ? null : d;
}

export function fmtTime(value) {
	const d = parseTime(value);
	if (!d) return value ? String(value) : '-';
	return new Intl.DateTimeFormat(lang, {dateStyle: 'medium', timeStyle: 'medium'}).format(d);
}

export function fmtHour(date) {
	return new Intl.DateTimeFormat(lang, {hour: '2-digit', minute: '2-digit'}).format(date);
}

export function fmtNum(n) {
	return typeof n === 'number' && Number.isFinite(n) ? new Intl.NumberFormat(lang).format(n) : '-';
}

export function fmtPct(ratio) {
	if (typeof ratio !== 'number' || !Number.isFinite(ratio)) return '-';
	return new Intl.NumberFormat(lang, {style: 'percent', maximumFractionDigits: 1}).format(ratio);
}
