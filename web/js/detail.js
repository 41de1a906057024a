/*
 * detail.js - The alert detail panel: the full alert JSON, pretty-printed
 * into a <pre> as text (never parsed as HTML), in a modal <dialog> so focus
 * stays inside and Escape closes it.
 */
import {$} from './dom.js';
import {t} from './i18n.js';

export function initDetail() {
	$('detail-close').addEventListener('click', () => $('detail').close());
	$('detail-copy').addEventListener('click', copy);
}

/* Clipboard access needs a secure context (HTTPS or localhost); elsewhere
 * the button says it could not, and the text can still be selected. */
async function copy() {
	const btn = $('detail-copy');
	try {
		await navigator.clipboard.writeText($('detail-json').textContent);
		btn.textContent = t('detail.copied');
	} catch {
		btn.textContent = t('detail.copyFailed');
	}
}

export function openDetail(alert) {
	$('detail-title').textContent = t('detail.titleN', {id: alert.id ?? '', rule: alert.rule?.id ?? ''});
	$('detail-copy').textContent = t('detail.copy');
	$('detail-json').textContent = JSON.stringify(alert, null, 2);
	if (!$('detail').open) $('detail').showModal();
}
