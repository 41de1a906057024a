/*
 * agents.js - The Agents view: the registry (GET /api/agents) and how to
 * enroll a new agent. It also keeps the agent id suggestions of the filter
 * forms (the shared <datalist>) up to date.
 */
import {get, itemsOf} from '../api.js';
import {$, h, messageRow} from '../dom.js';
import {fmtTime, t, tOr} from '../i18n.js';

const COLUMNS = 6;
/* The agent reaches the manager's agent port (1514), not this web port. */
const AGENT_PORT = 1514;

let agents = null;

function enrollConfig() {
	const address = location.hostname.replace(/^\[|\]$/g, '') || 'MANAGER_ADDRESS';
	return [
		'<ossec_config>',
		'  <client>',
		'    <server>',
		`      <address>${address}</address>`,
		`      <port>${AGENT_PORT}</port>`,
		'    </server>',
		'    <enrollment>',
		'      <agent_name>web1</agent_name>',
		'    </enrollment>',
		'  </client>',
		'</ossec_config>',
	].join('\n');
}

export function fillAgentIds(list) {
	$('agent-ids').replaceChildren(...list.map((a) => h('option', {value: a.id}, a.name ?? '')));
}

export async function load() {
	$('ag-status').textContent = t('common.loading');
	agents = itemsOf(await get('/api/agents'));
	fillAgentIds(agents);
	$('ag-status').textContent = '';
	render();
}

function row(agent) {
	return h('tr', {testid: 'agent-row', 'data-agent-id': agent.id},
		h('td', {}, agent.id ?? ''),
		h('td', {}, agent.name ?? ''),
		h('td', {}, h('span', {class: `badge badge--${agent.status}`}, tOr(`status.${agent.status}`, agent.status ?? '-'))),
		h('td', {}, agent.ip ?? '-'),
		h('td', {}, agent.version || '-'),
		h('td', {class: 'nowrap'}, agent.last_keepalive ? fmtTime(agent.last_keepalive) : t('status.never')));
}

export function render() {
	$('enroll-config').textContent = enrollConfig();
	if (!agents) return;
	$('ag-rows').replaceChildren(...(agents.length ? agents.map(row) : [messageRow(t('ag.none'), COLUMNS)]));
}
