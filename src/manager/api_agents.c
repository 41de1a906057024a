/*
 * api_agents.c - GET /api/agents, GET /api/quarantine and
 * POST /api/quarantine/{agent}/{id}/restore (docs/api.md).
 *
 * Agents come from the registry (000 included); the quarantine from the
 * manager's view of every agent's quarantine (manager/cmdq.h), which
 * follows the agents' reports; a restore is a command in the durable
 * queue, as `vigie quarantine restore --agent` queues it.
 */
#include "manager/api_int.h"

#include <string.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/str.h"

static int agent_json(void *ctx, const struct reg_agent *ag)
{
	/* times in epoch ms, null when never, as every time of the API */
	json_array_append_new(
	    ctx, json_pack(
		     "{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:s}", "id", ag->id, "name", ag->name,
		     "ip", ag->ip, "status", reg_status_name(ag->status), "version", ag->version,
		     "last_keepalive",
		     ag->last_keepalive > 0 ? json_integer(ag->last_keepalive * 1000) : json_null(),
		     "enrolled", ag->enrolled > 0 ? json_integer(ag->enrolled * 1000) : json_null(),
		     "groups", ag->groups));
	return 0;
}

void api__agents(void *ctx, const struct http_req *req, struct http_resp *resp)
{
	struct api *a = ctx;
	struct vg_err err = VG_ERR_INIT;
	json_t *items = json_array();
	int rc;

	pthread_mutex_lock(&a->mu);
	rc = reg_list(a->reg, NULL, agent_json, items, &err);
	pthread_mutex_unlock(&a->mu);
	if (rc != 0) {
		json_decref(items);
		api__fail(resp, "reading the agents", &err);
		return;
	}
	api__items(resp, 200, items, NULL);
}

/* A view row with the manifest's main fields lifted up. */
static int quarantine_json(void *ctx, const struct cmdq_qrow *r)
{
	json_t *m = json_loads(r->manifest, 0, NULL);
	json_t *item =
	    json_pack("{s:s, s:s, s:s, s:s?, s:I}", "agent_id", r->agent_id, "id", r->qid, "state",
		      r->state, "path", r->path, "updated_ms", (json_int_t)r->updated_ms);

	if (item == NULL) {
		json_decref(m);
		return 0;
	}
	json_object_set(item, "sha256", json_object_get(m, "sha256"));
	json_object_set(item, "size", json_object_get(m, "size"));
	json_object_set(item, "quarantined_at", json_object_get(m, "quarantined_at"));
	json_object_set_new(item, "manifest", m != NULL ? m : json_null());
	json_array_append_new(ctx, item);
	return 0;
}

void api__quarantine(void *ctx, const struct http_req *req, struct http_resp *resp)
{
	struct api *a = ctx;
	const char *agent = http_req_query(req, "agent.id");
	const char *state = http_req_query(req, "state");
	struct vg_err err = VG_ERR_INIT;
	json_t *items;
	int rc;

	if (agent != NULL && *agent != '\0' && !api__agent_id(agent)) {
		http_error(resp, 400, "agent.id: expected digits such as 001");
		return;
	}
	if (state != NULL && *state != '\0' && strcmp(state, "quarantined") != 0 &&
	    strcmp(state, "restored") != 0 && strcmp(state, "deleted") != 0) {
		http_error(resp, 400, "state: expected quarantined, restored or deleted");
		return;
	}
	items = json_array();
	pthread_mutex_lock(&a->mu);
	rc = cmdq_quarantine_list(a->cmdq, agent != NULL && *agent != '\0' ? agent : NULL,
				  state != NULL && *state != '\0' ? state : NULL, quarantine_json,
				  items, &err);
	pthread_mutex_unlock(&a->mu);
	if (rc != 0) {
		json_decref(items);
		api__fail(resp, "reading the quarantine view", &err);
		return;
	}
	api__items(resp, 200, items, NULL);
}

/* {"force":bool} or no body; false (with a 400) when malformed. */
static bool force_of(const struct http_req *req, struct http_resp *resp, bool *force)
{
	size_t len = 0;
	const char *body = http_req_body(req, &len);
	json_t *j, *f;

	*force = false;
	if (body == NULL || len == 0)
		return true;
	j = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	f = json_object_get(j, "force");
	if (!json_is_object(j) || (f != NULL && !json_is_boolean(f))) {
		json_decref(j);
		http_error(resp, 400, "body: expected {\"force\": true|false}");
		return false;
	}
	*force = json_is_true(f);
	json_decref(j);
	return true;
}

void api__restore(void *ctx, const struct http_req *req, struct http_resp *resp)
{
	struct api *a = ctx;
	const char *agent = http_req_param(req, "agent"), *qid = http_req_param(req, "id");
	struct vg_err err = VG_ERR_INIT;
	int64_t now = vg_clock_ms(CLOCK_REALTIME);
	uint64_t id = 0;
	bool force;
	int rc;

	if (!api__agent_id(agent) || !api__qid(qid)) {
		http_error(resp, 404, "no such quarantined file");
		return;
	}
	if (!force_of(req, resp, &force))
		return;
	pthread_mutex_lock(&a->mu);
	rc = cmdq_quarantine_op(a->cmdq, agent, "restore", qid, force, now,
				now + (int64_t)API_RESTORE_EXPIRE_S * 1000, &id, &err);
	pthread_mutex_unlock(&a->mu);
	if (rc == VG_ENOTFOUND || rc == VG_EPERM) {
		http_error(resp, rc == VG_ENOTFOUND ? 404 : 409, "%s", err.msg);
		return;
	}
	if (rc != 0) {
		api__fail(resp, "queueing the restore", &err);
		return;
	}
	vg_log_info("api: restore of %s on agent %s queued (command %llu)", qid, agent,
		    (unsigned long long)id);
	http_json(resp, 202,
		  json_pack("{s:{s:I}, s:i}", "data", "command_id", (json_int_t)id, "error", 0));
}
