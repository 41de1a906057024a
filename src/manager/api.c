/*
 * api.c - The REST API object, its routes and the parsing of what clients
 * send (see api.h). The handlers live in api_alerts.c, api_vt.c and
 * api_agents.c.
 */
#include "manager/api_int.h"

#include <ctype.h>
#include <string.h>
#include <time.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/str.h"

static const struct http_route routes[] = {
    {HTTP_POST, "/api/security/user/authenticate", api__authenticate, true},
    {HTTP_POST, "/api/session", api__session_new, true},
    {HTTP_GET, "/api/session", api__session_get, true},
    {HTTP_DELETE, "/api/session", api__session_end, false},
    {HTTP_GET, "/api/alerts", api__alerts, false},
    {HTTP_GET, "/api/alerts/{id}", api__alert, false},
    {HTTP_GET, "/api/stats", api__stats, false},
    {HTTP_GET, "/api/stream", api__stream, false},
    {HTTP_GET, "/api/agents", api__agents, false},
    {HTTP_GET, "/api/virustotal/quota", api__vt_quota, false},
    {HTTP_GET, "/api/virustotal/files", api__vt_files, false},
    {HTTP_GET, "/api/quarantine", api__quarantine, false},
    {HTTP_POST, "/api/quarantine/{agent}/{id}/restore", api__restore, false},
};

const struct http_route *api_routes(size_t *n)
{
	*n = sizeof(routes) / sizeof(routes[0]);
	return routes;
}

void api__items(struct http_resp *resp, unsigned status, json_t *items, json_t *next)
{
	json_t *data = json_pack("{s:o, s:I}", "affected_items", items, "total_affected_items",
				 (json_int_t)json_array_size(items));

	if (next != NULL)
		json_object_set_new(data, "next", next);
	http_json(resp, status, json_pack("{s:o, s:i}", "data", data, "error", 0));
}

void api__fail(struct http_resp *resp, const char *what, const struct vg_err *err)
{
	vg_log_error("api: %s: %s", what, err->msg);
	http_error(resp, err->code == VG_ENOTFOUND ? 503 : 500, "%s failed; see the manager's log",
		   what);
}

bool api__uint(const struct http_req *req, struct http_resp *resp, const char *name, uint64_t lo,
	       uint64_t hi, uint64_t dflt, uint64_t *out)
{
	const char *v = http_req_query(req, name);

	*out = dflt;
	if (v == NULL || *v == '\0')
		return true;
	if (vg_parse_u64(v, hi, out) != 0 || *out < lo) {
		char esc[64];
		http_error(resp, 400, "%s: expected a number from %llu to %llu, got '%s'", name,
			   (unsigned long long)lo, (unsigned long long)hi,
			   vg_escape(esc, sizeof(esc), v, strlen(v)));
		return false;
	}
	return true;
}

/* "2026-11-28T02:30:00Z" (or with +0000, or .mmm) into ms; false if not. */
static bool iso_ms(const char *s, int64_t *out)
{
	struct tm tm = {0};
	const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	long ms = 0;

	if (p == NULL)
		return false;
	if (*p == '.') {
		int digits = 0;
		for (p++; isdigit((unsigned char)*p); p++, digits++)
			if (digits < 3)
				ms = ms * 10 + (*p - '0');
		while (digits++ < 3)
			ms *= 10;
	}
	if (strcmp(p, "Z") != 0 && strcmp(p, "+0000") != 0 && strcmp(p, "+00:00") != 0 &&
	    *p != '\0')
		return false;
	*out = (int64_t)timegm(&tm) * 1000 + ms;
	return true;
}

bool api__time(const struct http_req *req, struct http_resp *resp, const char *name, int64_t dflt,
	       int64_t *out_ms)
{
	const char *v = http_req_query(req, name);
	uint64_t ms;

	*out_ms = dflt;
	if (v == NULL || *v == '\0')
		return true;
	if (vg_parse_u64(v, INT64_MAX, &ms) == 0) {
		*out_ms = (int64_t)ms;
		return true;
	}
	if (iso_ms(v, out_ms))
		return true;
	char esc[64];
	http_error(resp, 400, "%s: expected epoch milliseconds or ISO 8601 UTC, got '%s'", name,
		   vg_escape(esc, sizeof(esc), v, strlen(v)));
	return false;
}

bool api__agent_id(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n == 0 || n > 8)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

bool api__qid(const char *s)
{
	if (s == NULL || strlen(s) != 16)
		return false;
	for (size_t i = 0; i < 16; i++)
		if (!isdigit((unsigned char)s[i]) && (s[i] < 'a' || s[i] > 'f'))
			return false;
	return true;
}

int api_open(const struct api_opts *o, struct api **out, struct vg_err *err)
{
	struct api *a = vg_xcalloc(1, sizeof(*a));
	struct reg_opts ro = REG_OPTS_INIT;
	char *reg = reg_path(o->home);
	int rc;

	*out = NULL;
	a->o = *o;
	a->home = vg_xstrdup(o->home);
	a->manager_name = vg_xstrdup(o->manager_name != NULL ? o->manager_name : "manager");
	a->o.home = a->home;
	a->o.manager_name = a->manager_name;
	a->store_path = vg_xasprintf("%s/queue/alerts.db", o->home);
	pthread_mutex_init(&a->mu, NULL);
	ro.readonly = true;
	rc = store_reader_open(a->store_path, &a->store, err);
	if (rc == 0)
		rc = store_stats_open(a->store_path, &a->stats, err);
	if (rc == 0)
		rc = reg_open(reg, &ro, &a->reg, err);
	if (rc == 0)
		rc = cmdq_open(o->home, false, &a->cmdq, err);
	vg_free(reg);
	if (rc != 0)
		api_close(a);
	else
		*out = a;
	return rc;
}

void api_close(struct api *a)
{
	if (a == NULL)
		return;
	store_reader_close(a->store);
	store_stats_close(a->stats);
	reg_close(a->reg);
	cmdq_close(a->cmdq);
	pthread_mutex_destroy(&a->mu);
	vg_free(a->store_path);
	vg_free(a->home);
	vg_free(a->manager_name);
	vg_free(a);
}
