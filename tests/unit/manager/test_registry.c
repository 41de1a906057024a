/* Unit tests for src/manager/registry.c: the agent registry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sys/stat.h>
#include <unistd.h>

#include "lib/client_conf.h"
#include "lib/mem.h"
#include "manager/registry.h"
#include "support/support.h"

#define T0 1704891124 /* the injected clock's start */

struct fixture {
	void *dbdir; /* struct vg_test_dbdir */
	const char *path;
	int64_t now; /* the injected clock */
	struct reg *w;
};

static int64_t fake_now(void *ctx)
{
	return *(const int64_t *)ctx;
}

static struct reg_opts opts_for(struct fixture *f, bool readonly)
{
	struct reg_opts o = REG_OPTS_INIT;
	o.readonly = readonly;
	o.manager_name = "vigie-manager";
	o.now = fake_now;
	o.now_ctx = &f->now;
	return o;
}

static int setup(void **state)
{
	struct fixture *f = vg_xcalloc(1, sizeof(*f));
	struct vg_err err = VG_ERR_INIT;
	struct reg_opts o;

	if (vg_test_dbdir_setup(&f->dbdir, "vg-reg", "agents.db") != 0)
		return -1;
	f->path = ((struct vg_test_dbdir *)f->dbdir)->db;
	f->now = T0;
	o = opts_for(f, false);
	if (reg_open(f->path, &o, &f->w, &err) != 0) {
		fprintf(stderr, "reg_open: %s\n", err.msg);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	reg_close(f->w);
	vg_test_dbdir_teardown(&f->dbdir);
	vg_free(f);
	return 0;
}

static void enroll_ok(struct reg *r, const char *name, const char *want_id)
{
	struct vg_err err = VG_ERR_INIT;
	char id[REG_ID_TEXT];
	int rc = reg_enroll(r, name, NULL, NULL, NULL, false, id, &err);
	if (rc != 0)
		fail_msg("enroll %s: %s", name, err.msg);
	assert_string_equal(id, want_id);
}

/* Collects the ids a listing hands out. */
struct ids {
	char text[256];
	int n;
};

static int collect(void *ctx, const struct reg_agent *a)
{
	struct ids *ids = ctx;
	size_t len = strlen(ids->text);
	snprintf(ids->text + len, sizeof(ids->text) - len, "%s%s", ids->n ? "," : "", a->id);
	ids->n++;
	return 0;
}

static void list_ids(struct reg *r, const enum reg_status *status, struct ids *ids)
{
	struct vg_err err = VG_ERR_INIT;
	memset(ids, 0, sizeof(*ids));
	assert_int_equal(reg_list(r, status, collect, ids, &err), 0);
}

/* ---- tests ---- */

static void test_registry__manager_is_agent_000(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct reg_agent a;

	assert_int_equal(reg_get(f->w, "000", &a, &err), 0);
	assert_string_equal(a.id, "000");
	assert_string_equal(a.name, "vigie-manager");
	assert_string_equal(a.ip, "127.0.0.1");
	assert_int_equal(a.status, REG_ACTIVE);
	assert_non_null(strstr(a.version, "Vigie v"));
	/* "0" is the same id */
	assert_int_equal(reg_get(f->w, "0", &a, &err), 0);
	assert_string_equal(a.name, "vigie-manager");
	/* never removable, no keepalive of its own */
	assert_int_equal(reg_remove(f->w, "000", NULL, &err), VG_EPERM);
	assert_non_null(strstr(err.msg, "manager"));
	vg_err_clear(&err);
	assert_int_equal(reg_keepalive(f->w, "000", "v", "", NULL, &err), VG_EPERM);
}

static void test_registry__ids_sequential_never_reused(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct reg_opts o = opts_for(f, false);
	struct ids ids;

	enroll_ok(f->w, "web1", "001");
	enroll_ok(f->w, "web2", "002");
	assert_int_equal(reg_remove(f->w, "002", NULL, &err), 0);
	enroll_ok(f->w, "web3", "003"); /* not 002 again */
	/* and not after a reopen either */
	reg_close(f->w);
	assert_int_equal(reg_open(f->path, &o, &f->w, &err), 0);
	enroll_ok(f->w, "web2", "004");
	list_ids(f->w, NULL, &ids);
	assert_string_equal(ids.text, "000,001,003,004");
	/* the same name twice in one handle's life still gets one row */
	assert_int_equal(reg_remove(f->w, "002", NULL, &err), VG_ENOTFOUND);
}

static void test_registry__enroll_fields(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct reg_agent a;
	char id[REG_ID_TEXT];

	f->now = T0 + 5;
	assert_int_equal(
	    reg_enroll(f->w, "db-1.prod", "10.0.0.7", "linux,db", "Vigie v1", false, id, &err), 0);
	assert_int_equal(reg_get(f->w, id, &a, &err), 0);
	assert_string_equal(a.name, "db-1.prod");
	assert_string_equal(a.ip, "10.0.0.7");
	assert_string_equal(a.groups, "linux,db");
	assert_string_equal(a.version, "Vigie v1");
	assert_int_equal(a.enrolled, T0 + 5);
	assert_int_equal(a.last_keepalive, 0);
	/* defaults: any address, the default group */
	assert_int_equal(reg_enroll(f->w, "plain", NULL, "", NULL, false, id, &err), 0);
	assert_int_equal(reg_find_name(f->w, "plain", &a, &err), 0);
	assert_string_equal(a.id, "002");
	assert_string_equal(a.ip, "any");
	assert_string_equal(a.groups, "default");
	assert_int_equal(reg_find_name(f->w, "nobody", &a, &err), VG_ENOTFOUND);
}

static void test_registry__duplicate_name_refused_or_forced(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct reg_agent a;
	bool revoked = true;
	char id[REG_ID_TEXT];

	enroll_ok(f->w, "web1", "001");
	assert_int_equal(reg_add_serial(f->w, "001", "0A1B", &err), 0);
	assert_int_equal(reg_enroll(f->w, "web1", NULL, NULL, NULL, false, id, &err), VG_EPERM);
	assert_string_equal(id, "");
	assert_string_equal(err.msg, "agent name 'web1' already enrolled as 001");
	vg_err_clear(&err);
	/* refused enrollment changed nothing, not even the counter */
	assert_int_equal(reg_is_revoked(f->w, "a1b", &revoked, &err), 0);
	assert_false(revoked);
	/* force: the old agent goes, its certificate is revoked, a new id */
	assert_int_equal(reg_enroll(f->w, "web1", "10.1.1.1", NULL, NULL, true, id, &err), 0);
	assert_string_equal(id, "002");
	assert_int_equal(reg_get(f->w, "001", &a, &err), VG_ENOTFOUND);
	vg_err_clear(&err);
	assert_int_equal(reg_find_name(f->w, "web1", &a, &err), 0);
	assert_string_equal(a.id, "002");
	assert_int_equal(reg_is_revoked(f->w, "0a1b", &revoked, &err), 0);
	assert_true(revoked);
	/* the manager's name cannot be taken, even by force */
	assert_int_equal(reg_enroll(f->w, "vigie-manager", NULL, NULL, NULL, true, id, &err),
			 VG_EPERM);
	assert_non_null(strstr(err.msg, "000"));
}

static void test_registry__revocation_survives_removal_and_reopen(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct reg_opts o = opts_for(f, false);
	struct reg_agent a;
	bool revoked = true;
	unsigned n = 0;

	enroll_ok(f->w, "web1", "001");
	enroll_ok(f->w, "web2", "002");
	assert_int_equal(reg_add_serial(f->w, "001", "00FF01", &err), 0);
	assert_int_equal(reg_add_serial(f->w, "001", "ff01", &err), 0); /* same: idempotent */
	assert_int_equal(reg_add_serial(f->w, "001", "abcd", &err), 0);
	assert_int_equal(reg_add_serial(f->w, "002", "ff01", &err), VG_EPERM); /* another's */
	vg_err_clear(&err);
	assert_int_equal(reg_find_serial(f->w, "FF01", &a, &err), 0);
	assert_string_equal(a.name, "web1");
	assert_int_equal(reg_is_revoked(f->w, "ff01", &revoked, &err), 0);
	assert_false(revoked);

	assert_int_equal(reg_remove(f->w, "1", &n, &err), 0);
	assert_int_equal(n, 2);
	reg_close(f->w);
	assert_int_equal(reg_open(f->path, &o, &f->w, &err), 0);
	assert_int_equal(reg_is_revoked(f->w, "FF01", &revoked, &err), 0);
	assert_true(revoked);
	assert_int_equal(reg_is_revoked(f->w, "abcd", &revoked, &err), 0);
	assert_true(revoked);
	assert_int_equal(reg_find_serial(f->w, "ff01", &a, &err), VG_EPERM);
	vg_err_clear(&err);
	/* a revoked serial is never handed to anyone again */
	assert_int_equal(reg_add_serial(f->w, "002", "ff01", &err), VG_EPERM);
	vg_err_clear(&err);
	/* revoking one serial alone (a renewed certificate) */
	assert_int_equal(reg_add_serial(f->w, "002", "beef", &err), 0);
	assert_int_equal(reg_revoke_serial(f->w, "BEEF", &err), 0);
	assert_int_equal(reg_revoke_serial(f->w, "beef", &err), 0); /* idempotent */
	assert_int_equal(reg_is_revoked(f->w, "beef", &revoked, &err), 0);
	assert_true(revoked);
	assert_int_equal(reg_find_serial(f->w, "1234", &a, &err), VG_ENOTFOUND);
	vg_err_clear(&err);
	assert_int_equal(reg_is_revoked(f->w, "xyz", &revoked, &err), VG_EPARSE);
}

static void test_registry__status_by_keepalive_age(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	enum reg_status st;
	struct reg_agent a;
	struct ids ids;

	enroll_ok(f->w, "web1", "001");
	enroll_ok(f->w, "web2", "002");
	enroll_ok(f->w, "web3", "003");
	assert_int_equal(reg_get(f->w, "001", &a, &err), 0);
	assert_int_equal(a.status, REG_NEVER_CONNECTED);

	assert_int_equal(reg_keepalive(f->w, "001", "Vigie v0.4.0", "ab12", "10.0.0.1", &err), 0);
	assert_int_equal(reg_keepalive(f->w, "002", "Vigie v0.4.0", "", NULL, &err), 0);
	assert_int_equal(reg_get(f->w, "001", &a, &err), 0);
	assert_int_equal(a.status, REG_ACTIVE);
	assert_int_equal(a.last_keepalive, T0);
	assert_string_equal(a.ip, "10.0.0.1");
	assert_string_equal(a.config_sum, "ab12");
	assert_int_equal(reg_get(f->w, "002", &a, &err), 0);
	assert_string_equal(a.ip, "any"); /* NULL keeps the address */

	f->now = T0 + 600; /* exactly the disconnection time: still active */
	assert_int_equal(reg_keepalive(f->w, "002", "Vigie v0.4.0", "", NULL, &err), 0);
	f->now = T0 + 601;
	assert_int_equal(reg_get(f->w, "001", &a, &err), 0);
	assert_int_equal(a.status, REG_DISCONNECTED);
	assert_int_equal(reg_get(f->w, "002", &a, &err), 0);
	assert_int_equal(a.status, REG_ACTIVE);

	st = REG_ACTIVE;
	list_ids(f->w, &st, &ids);
	assert_string_equal(ids.text, "000,002");
	st = REG_DISCONNECTED;
	list_ids(f->w, &st, &ids);
	assert_string_equal(ids.text, "001");
	st = REG_NEVER_CONNECTED;
	list_ids(f->w, &st, &ids);
	assert_string_equal(ids.text, "003");

	assert_int_equal(reg_keepalive(f->w, "042", "v", "", NULL, &err), VG_ENOTFOUND);
	vg_err_clear(&err);
	assert_int_equal(reg_keepalive(f->w, "001", "v", "not-hex", NULL, &err), VG_EPARSE);
	vg_err_clear(&err);
	assert_int_equal(reg_keepalive(f->w, "001", "v\n", "", NULL, &err), VG_EPARSE);
	vg_err_clear(&err);
	assert_int_equal(reg_keepalive(f->w, "001", "v", "", "10.0.0.999", &err), VG_EPARSE);
}

static void test_registry__custom_disconnection_time(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct reg_opts o = opts_for(f, true);
	struct reg_agent a;
	struct reg *r = NULL;

	enroll_ok(f->w, "web1", "001");
	assert_int_equal(reg_keepalive(f->w, "001", "v", "", NULL, &err), 0);
	o.disconnect_s = 30;
	assert_int_equal(reg_open(f->path, &o, &r, &err), 0);
	f->now = T0 + 31;
	assert_int_equal(reg_get(r, "001", &a, &err), 0);
	assert_int_equal(a.status, REG_DISCONNECTED);
	assert_int_equal(reg_get(f->w, "001", &a, &err), 0); /* default 600 s */
	assert_int_equal(a.status, REG_ACTIVE);
	reg_close(r);
}

static void test_registry__validation(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	char name[REG_NAME_MAX + 2];
	char group[REG_GROUP_MAX + 2];
	char id[REG_ID_TEXT];
	int64_t num;
	enum reg_status st;
	struct ids ids;

	assert_int_equal(reg_check_name("web-1.example_x", &err), 0);
	assert_int_equal(reg_check_name("", &err), VG_EPARSE);
	/* one rule with the agent's <agent_name>: 2 to 128 characters */
	assert_int_equal(reg_check_name("a", NULL), VG_EPARSE);
	assert_true(vg_client_valid_agent_name("ab") && reg_check_name("ab", NULL) == 0);
	assert_int_equal(reg_check_name("a b", NULL), VG_EPARSE);
	assert_int_equal(reg_check_name("a/b", NULL), VG_EPARSE);
	assert_int_equal(reg_check_name("000", NULL), VG_EPARSE);
	assert_int_equal(reg_check_name("12", NULL), VG_EPARSE);
	memset(name, 'a', sizeof(name));
	name[REG_NAME_MAX] = '\0';
	assert_int_equal(reg_check_name(name, NULL), 0);
	name[REG_NAME_MAX] = 'a';
	name[REG_NAME_MAX + 1] = '\0';
	assert_int_equal(reg_check_name(name, NULL), VG_EPARSE);

	assert_int_equal(reg_check_groups("default", NULL), 0);
	assert_int_equal(reg_check_groups("web,linux.x,a_b-c", NULL), 0);
	assert_int_equal(reg_check_groups("", NULL), VG_EPARSE);
	assert_int_equal(reg_check_groups("a,,b", NULL), VG_EPARSE);
	assert_int_equal(reg_check_groups("a,", NULL), VG_EPARSE);
	assert_int_equal(reg_check_groups(",a", NULL), VG_EPARSE);
	assert_int_equal(reg_check_groups("a b", NULL), VG_EPARSE);
	assert_int_equal(reg_check_groups("..", NULL), VG_EPARSE);
	assert_int_equal(reg_check_groups("a,.", NULL), VG_EPARSE);
	memset(group, 'g', sizeof(group));
	group[REG_GROUP_MAX] = '\0';
	assert_int_equal(reg_check_groups(group, NULL), 0);
	group[REG_GROUP_MAX] = 'g';
	group[REG_GROUP_MAX + 1] = '\0';
	assert_int_equal(reg_check_groups(group, NULL), VG_EPARSE);

	assert_int_equal(reg_check_ip("any", NULL), 0);
	assert_int_equal(reg_check_ip("192.168.1.10", NULL), 0);
	assert_int_equal(reg_check_ip("10.0.0.0/8", NULL), 0);
	assert_int_equal(reg_check_ip("fe80::1", NULL), 0);
	assert_int_equal(reg_check_ip("2001:db8::/32", NULL), 0);
	assert_int_equal(reg_check_ip("10.0.0.0/33", NULL), VG_EPARSE);
	assert_int_equal(reg_check_ip("host.example", NULL), VG_EPARSE);
	assert_int_equal(reg_check_ip("", NULL), VG_EPARSE);
	assert_int_equal(reg_check_ip("1.2.3.4/", NULL), VG_EPARSE);

	assert_int_equal(reg_id_parse("7", &num, NULL), 0);
	assert_int_equal(num, 7);
	assert_int_equal(reg_id_parse("00000042", &num, NULL), 0);
	assert_int_equal(num, 42);
	assert_int_equal(reg_id_parse("", &num, NULL), VG_EPARSE);
	assert_int_equal(reg_id_parse("-1", &num, NULL), VG_EPARSE);
	assert_int_equal(reg_id_parse("1a", &num, NULL), VG_EPARSE);
	assert_int_equal(reg_id_parse("123456789", &num, NULL), VG_EPARSE);
	reg_id_format(1234, id);
	assert_string_equal(id, "1234");

	assert_int_equal(reg_status_parse("disconnected", &st, NULL), 0);
	assert_int_equal(st, REG_DISCONNECTED);
	assert_int_equal(reg_status_parse("pending", &st, NULL), VG_EPARSE);
	assert_string_equal(reg_status_name(REG_NEVER_CONNECTED), "never_connected");

	/* the writer refuses the same and stores nothing */
	vg_err_clear(&err);
	assert_int_equal(reg_enroll(f->w, "bad name", NULL, NULL, NULL, false, id, &err),
			 VG_EPARSE);
	assert_non_null(strstr(err.msg, "bad name"));
	assert_int_equal(reg_enroll(f->w, "ok", "nowhere", NULL, NULL, false, id, NULL), VG_EPARSE);
	assert_int_equal(reg_enroll(f->w, "ok", NULL, "a,,b", NULL, false, id, NULL), VG_EPARSE);
	assert_int_equal(reg_add_serial(f->w, "000", "", NULL), VG_EPARSE);
	assert_int_equal(reg_add_serial(f->w, "000", "12g4", NULL), VG_EPARSE);
	assert_int_equal(reg_add_serial(f->w, "9", "1234", NULL), VG_ENOTFOUND);
	assert_int_equal(reg_get(f->w, "x", &(struct reg_agent){0}, NULL), VG_EPARSE);
	list_ids(f->w, NULL, &ids);
	assert_string_equal(ids.text, "000");
}

static void test_registry__reader_sees_commits_and_cannot_write(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct reg_opts o = opts_for(f, true);
	struct reg_agent a;
	struct reg *r = NULL;
	struct ids ids;
	char id[REG_ID_TEXT];

	assert_int_equal(reg_open(f->path, &o, &r, &err), 0);
	list_ids(r, NULL, &ids);
	assert_string_equal(ids.text, "000");
	enroll_ok(f->w, "web1", "001");
	assert_int_equal(reg_get(r, "001", &a, &err), 0);
	assert_string_equal(a.name, "web1");
	assert_int_equal(reg_remove(f->w, "001", NULL, &err), 0);
	assert_int_equal(reg_get(r, "001", &a, &err), VG_ENOTFOUND);
	vg_err_clear(&err);

	assert_int_equal(reg_enroll(r, "web2", NULL, NULL, NULL, false, id, &err), VG_EPERM);
	assert_non_null(strstr(err.msg, "read-only"));
	assert_int_equal(reg_remove(r, "000", NULL, NULL), VG_EPERM);
	assert_int_equal(reg_keepalive(r, "001", "v", "", NULL, NULL), VG_EPERM);
	reg_close(r);
}

static void test_registry__reader_needs_a_registry(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct reg_opts o = opts_for(f, true);
	struct reg *r = NULL;
	char *p = vg_xasprintf("%s/none.db", ((struct vg_test_dbdir *)f->dbdir)->dir);

	assert_int_equal(reg_open(p, &o, &r, &err), VG_ENOTFOUND);
	assert_null(r);
	vg_free(p);
	/* the path helper */
	p = reg_path("/var/vigie");
	assert_string_equal(p, "/var/vigie/queue/agents.db");
	vg_free(p);
}

static void test_registry__corrupt_file(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct reg_opts o = opts_for(f, false);
	struct reg *r = NULL;
	char *p = vg_xasprintf("%s/bad.db", ((struct vg_test_dbdir *)f->dbdir)->dir);
	FILE *fp = fopen(p, "w");
	char junk[8192];

	assert_non_null(fp);
	memset(junk, 'x', sizeof(junk));
	assert_int_equal(fwrite(junk, 1, sizeof(junk), fp), sizeof(junk));
	fclose(fp);
	assert_int_equal(reg_open(p, &o, &r, &err), VG_EPARSE);
	assert_null(r);
	assert_non_null(strstr(err.msg, "bad.db"));
	vg_err_clear(&err);
	o.readonly = true;
	assert_int_equal(reg_open(p, &o, &r, &err), VG_EPARSE);
	assert_null(r);
	vg_free(p);
}

static void test_registry__file_mode_and_other_database(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct reg_opts o = opts_for(f, true);
	struct reg *r = NULL;
	struct stat st;
	char *p = vg_xasprintf("%s/other.db", ((struct vg_test_dbdir *)f->dbdir)->dir);
	FILE *fp;

	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	/* an empty file is a database without a registry schema: the reader refuses it */
	fp = fopen(p, "w");
	assert_non_null(fp);
	fclose(fp);
	assert_int_equal(reg_open(p, &o, &r, &err), VG_EPARSE);
	assert_non_null(strstr(err.msg, "schema version 0"));
	vg_free(p);
}

static void test_registry__manager_name_follows_host(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct reg_opts o = opts_for(f, false);
	struct reg_agent a;

	enroll_ok(f->w, "web1", "001");
	reg_close(f->w);
	o.manager_name = "renamed";
	assert_int_equal(reg_open(f->path, &o, &f->w, &err), 0);
	assert_int_equal(reg_get(f->w, "000", &a, &err), 0);
	assert_string_equal(a.name, "renamed");
	/* a host name an agent already holds: 000 keeps its name */
	reg_close(f->w);
	o.manager_name = "web1";
	assert_int_equal(reg_open(f->path, &o, &f->w, &err), 0);
	assert_int_equal(reg_get(f->w, "000", &a, &err), 0);
	assert_string_equal(a.name, "renamed");
	reg_close(f->w);
	o.manager_name = "bad name";
	assert_int_equal(reg_open(f->path, &o, &f->w, &err), VG_EPARSE);
	assert_null(f->w);
}

static int stop_at_first(void *ctx, const struct reg_agent *a)
{
	(void)a;
	(*(int *)ctx)++;
	return 1;
}

static void test_registry__list_stops_when_asked(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	int calls = 0;

	enroll_ok(f->w, "web1", "001");
	assert_int_equal(reg_list(f->w, NULL, stop_at_first, &calls, &err), 0);
	assert_int_equal(calls, 1);
	/* the statement was reset: a second listing starts over */
	assert_int_equal(reg_list(f->w, NULL, stop_at_first, &calls, &err), 0);
	assert_int_equal(calls, 2);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

static void test_registry__keepalive_many_skips_bad_ones(void **state)
{
	struct fixture *f = *state;
	struct reg_agent a;

	enroll_ok(f->w, "web1", "001");
	enroll_ok(f->w, "web2", "002");
	const struct reg_keepalive ka[] = {
	    {"001", "Vigie v0.4.0", "ab12", "10.0.0.1"},
	    {"042", "Vigie v0.4.0", "", NULL},        /* removed meanwhile: skipped */
	    {"002", "Vigie v0.4.0", "not-hex", NULL}, /* bad: skipped */
	};
	assert_int_equal(reg_keepalive_many(f->w, ka, 3, NULL), 0);
	assert_int_equal(reg_get(f->w, "001", &a, NULL), 0);
	assert_int_equal(a.last_keepalive, T0);
	assert_string_equal(a.ip, "10.0.0.1");
	assert_int_equal(reg_get(f->w, "002", &a, NULL), 0);
	assert_int_equal(a.last_keepalive, 0);
	assert_int_equal(reg_keepalive_many(f->w, ka, 0, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_registry__manager_is_agent_000),
	    T(test_registry__ids_sequential_never_reused),
	    T(test_registry__enroll_fields),
	    T(test_registry__duplicate_name_refused_or_forced),
	    T(test_registry__revocation_survives_removal_and_reopen),
	    T(test_registry__status_by_keepalive_age),
	    T(test_registry__keepalive_many_skips_bad_ones),
	    T(test_registry__custom_disconnection_time),
	    T(test_registry__validation),
	    T(test_registry__reader_sees_commits_and_cannot_write),
	    T(test_registry__reader_needs_a_registry),
	    T(test_registry__corrupt_file),
	    T(test_registry__file_mode_and_other_database),
	    T(test_registry__manager_name_follows_host),
	    T(test_registry__list_stops_when_asked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
