/*
 * dom.js - Building elements without ever parsing HTML.
 *
 * Everything shown comes from alerts, file paths and agent names that an
 * attacker may control, so nothing goes through innerHTML: text is set with
 * textContent (or as Text nodes), attributes with setAttribute. With the
 * page's CSP (no inline script, no eval) that closes the usual XSS doors.
 */

const SVG_NS = 'http://www.w3.org/2000/svg';

/* Sets props on el: "class", "text" (textContent), "testid" (data-testid),
 * "on<event>" (listener); anything else is an attribute, skipped when null
 * or false so callers can pass conditional attributes inline. */
function setProps(el, props) {
	for (const [key, value] of Object.entries(props)) {
		if (value == null || value === false) continue;
		if (key === 'class') el.setAttribute('class', value);
		else if (key === 'text') el.textContent = String(value);
		else if (key === 'testid') el.setAttribute('data-testid', value);
		else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
		else el.setAttribute(key, value === true ? '' : String(value));
	}
}

/* Children may be nodes, strings or numbers (appended as text), or
 * null/false (skipped). */
function addChildren(el, children) {
	for (const child of children.flat()) {
		if (child == null || child === false) continue;
		el.append(child instanceof Node ? child : String(child));
	}
}

/* h('td', {class: 'num'}, 42) */
export function h(tag, props = {}, ...children) {
	const el = document.createElement(tag);
	setProps(el, props);
	addChildren(el, children);
	return el;
}

/* The same for SVG elements (the overview's chart). */
export function svg(tag, props = {}, ...children) {
	const el = document.createElementNS(SVG_NS, tag);
	setProps(el, props);
	addChildren(el, children);
	return el;
}

export function $(id) {
	return document.getElementById(id);
}

/* A table row spanning every column, for "nothing here" and errors. */
export function messageRow(text, columns, cls = 'muted') {
	return h('tr', {class: 'row--message'}, h('td', {colspan: columns, class: cls, text}));
}
