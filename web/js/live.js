/*
 * live.js - New alerts over Server-Sent Events (GET /api/stream).
 *
 * The browser's EventSource reconnects by itself after a network error and
 * sends Last-Event-ID, so no alert is lost then. It gives up for good when
 * the server answers anything but a 200 event stream (a restart in
 * progress, an expired session): we then open a new one after a growing
 * delay, and tell the app (onResync) so it reloads what it shows, since a
 * new EventSource cannot resume where the old one stopped.
 */

const RETRY_MIN_MS = 2000;
const RETRY_MAX_MS = 30000;

export function createLive({onAlert, onState, onResync}) {
	let source = null;
	let timer = null;
	let delay = RETRY_MIN_MS;
	let resyncNeeded = false;

	function parse(event) {
		try {
			return JSON.parse(event.data);
		} catch {
			return null;
		}
	}

	function onOpen() {
		delay = RETRY_MIN_MS;
		onState('on');
		if (resyncNeeded) onResync();
		resyncNeeded = false;
	}

	function onError() {
		if (source && source.readyState === EventSource.CONNECTING) {
			onState('reconnecting');
			return;
		}
		close();
		onState('off');
		resyncNeeded = true;
		timer = setTimeout(open, delay);
		delay = Math.min(delay * 2, RETRY_MAX_MS);
	}

	function open() {
		timer = null;
		source = new EventSource('/api/stream');
		source.addEventListener('open', onOpen);
		source.addEventListener('error', onError);
		source.addEventListener('alert', (event) => {
			const alert = parse(event);
			if (alert) onAlert(alert);
		});
	}

	function close() {
		if (source) source.close();
		source = null;
	}

	function stop() {
		clearTimeout(timer);
		timer = null;
		close();
		onState('off');
	}

	return {start: open, stop};
}
