/* Unit tests for src/manager/vt_jobs.c: the durable lookup queue and cursor. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/db.h"
#include "lib/mem.h"
#include "manager/vt_cache.h"
#include "manager/vt_jobs.h"
#include "manager/vt_quota.h"
#include "support/support.h"

#define T0 1704891124000LL /* the injected clock's start, ms */
#define SHA_A "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"
#define SHA_B "131f95c51cc819465fa1797f6ccacf9d494aaaff46fa3eac73ae63ffbdfd8267"
#define MD5_A "44d88612fea8a8f36de82e1278abb02f"
#define SHA1_A "3395856ce81f2b7382dee72602f798b642f14140"
#define LIST_MAX 128

struct fixture {
	void *dbdir; /* struct vg_test_dbdir */
	sqlite3 *db;
	struct vt_jobs *j;
	struct vt_jobs_opts o;
	int64_t requeued;
	struct vt_job *list; /* LIST_MAX jobs */
};

static void fx_open(struct fixture *f)
{
	struct vg_err err = VG_ERR_INIT;
	struct vg_db_opts dbo = VG_DB_OPTS_INIT;

	if (vg_db_open(((struct vg_test_dbdir *)f->dbdir)->db, &dbo, &f->db, &err) != 0 ||
	    vt_jobs_open(f->db, &f->o, &f->j, &f->requeued, &err) != 0)
		fail_msg("open: %s", err.msg);
}

/* Close as a crash would: an open transaction is lost (rolled back). */
static void fx_close(struct fixture *f)
{
	vt_jobs_close(f->j);
	vg_db_close(f->db);
	f->j = NULL;
	f->db = NULL;
}

static int setup(void **state)
{
	struct fixture *f = vg_xcalloc(1, sizeof(*f));
	struct vt_jobs_opts o = VT_JOBS_OPTS_INIT;

	if (vg_test_dbdir_setup(&f->dbdir, "vg-vtjobs", "integrations.db") != 0)
		return -1;
	f->o = o;
	f->list = vg_xcalloc(LIST_MAX, sizeof(*f->list));
	fx_open(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	fx_close(f);
	vg_test_dbdir_teardown(&f->dbdir);
	vg_free(f->list);
	vg_free(f);
	return 0;
}

static struct vt_job job_for(const char *alert_id, const char *sha, enum vt_job_prio prio)
{
	struct vt_job in;

	memset(&in, 0, sizeof(in));
	snprintf(in.integration, sizeof(in.integration), "virustotal");
	snprintf(in.alert_id, sizeof(in.alert_id), "%s", alert_id);
	snprintf(in.sha256, sizeof(in.sha256), "%s", sha);
	snprintf(in.agent_id, sizeof(in.agent_id), "001");
	snprintf(in.agent_name, sizeof(in.agent_name), "web-01");
	snprintf(in.agent_ip, sizeof(in.agent_ip), "10.0.0.5");
	snprintf(in.path, sizeof(in.path), "/root/%s.txt", alert_id);
	snprintf(in.md5, sizeof(in.md5), MD5_A);
	snprintf(in.sha1, sizeof(in.sha1), SHA1_A);
	in.prio = prio;
	return in;
}

/* add in a transaction (with the cursor, as the integrator does); the job's id */
static int64_t add(struct fixture *f, const char *alert_id, const char *sha, enum vt_job_prio prio,
		   int64_t now, bool want_added)
{
	struct vg_err err = VG_ERR_INIT;
	struct vt_job in = job_for(alert_id, sha, prio);
	bool added = !want_added;
	int64_t id = 0;
	int rc = vg_db_begin(f->db, &err);

	if (rc == 0)
		rc = vt_jobs_add(f->j, &in, now, &id, &added, &err);
	rc = vg_db_end(f->db, rc, &err);
	if (rc != 0)
		fail_msg("add %s: %s", alert_id, err.msg);
	assert_true(id > 0);
	assert_int_equal(added, want_added);
	return id;
}

static size_t ready(struct fixture *f, int64_t now)
{
	struct vg_err err = VG_ERR_INIT;
	size_t n = 0;

	if (vt_jobs_ready(f->j, now, f->list, LIST_MAX, &n, &err) != 0)
		fail_msg("ready: %s", err.msg);
	return n;
}

static struct vt_job get(struct fixture *f, int64_t id)
{
	struct vg_err err = VG_ERR_INIT;
	struct vt_job out;

	if (vt_jobs_get(f->j, id, &out, &err) != 0)
		fail_msg("get: %s", err.msg);
	return out;
}

static void counts(struct fixture *f, int64_t queued, int64_t in_flight, int64_t done, int64_t dead)
{
	struct vg_err err = VG_ERR_INIT;
	int64_t c[VT_JOB_STATE_N];

	assert_int_equal(vt_jobs_count(f->j, c, &err), 0);
	assert_int_equal(c[VT_JOB_QUEUED], queued);
	assert_int_equal(c[VT_JOB_IN_FLIGHT], in_flight);
	assert_int_equal(c[VT_JOB_DONE], done);
	assert_int_equal(c[VT_JOB_DEAD], dead);
}

static void test_vt_jobs__add_keeps_every_field(void **state)
{
	struct fixture *f = *state;
	int64_t id = add(f, "1704891124.1", SHA_A, VT_PRIO_NEW_FILE, T0, true);
	struct vt_job j = get(f, id);

	assert_int_equal(j.id, id);
	assert_string_equal(j.integration, "virustotal");
	assert_string_equal(j.alert_id, "1704891124.1");
	assert_string_equal(j.sha256, SHA_A);
	assert_string_equal(j.agent_id, "001");
	assert_string_equal(j.agent_name, "web-01");
	assert_string_equal(j.agent_ip, "10.0.0.5");
	assert_string_equal(j.path, "/root/1704891124.1.txt");
	assert_string_equal(j.md5, MD5_A);
	assert_string_equal(j.sha1, SHA1_A);
	assert_int_equal(j.prio, VT_PRIO_NEW_FILE);
	assert_int_equal(j.state, VT_JOB_QUEUED);
	assert_int_equal(j.created_ms, T0);
	assert_int_equal(j.next_try_ms, T0);
	assert_int_equal(j.attempts, 0);
	assert_string_equal(j.last_error, "");
}

static void test_vt_jobs__add_is_idempotent_per_alert_and_integration(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct vt_job in = job_for("a1", SHA_A, VT_PRIO_NEW_FILE);
	int64_t id = add(f, "a1", SHA_A, VT_PRIO_NEW_FILE, T0, true);
	int64_t again = 0;
	bool added = true;

	assert_int_equal(add(f, "a1", SHA_A, VT_PRIO_NEW_FILE, T0 + 5, false), id);
	/* even once done, a replayed alert makes no second job */
	assert_int_equal(vt_jobs_complete(f->j, id, "clean", T0 + 6, &err), 0);
	assert_int_equal(vt_jobs_add(f->j, &in, T0 + 7, &again, &added, &err), 0);
	assert_int_equal(again, id);
	assert_false(added);
	counts(f, 0, 0, 1, 0);
	/* the same alert for another integration is another job */
	snprintf(in.integration, sizeof(in.integration), "custom-x");
	assert_int_equal(vt_jobs_add(f->j, &in, T0 + 8, &again, &added, &err), 0);
	assert_true(again != id);
	assert_true(added);
}

static void test_vt_jobs__ready_serves_priority_then_age(void **state)
{
	struct fixture *f = *state;
	int64_t mod = add(f, "m", SHA_A, VT_PRIO_MODIFIED, T0, true);
	int64_t nf2 = add(f, "nf2", SHA_B, VT_PRIO_NEW_FILE, T0 + 20, true);
	int64_t nf1 = add(f, "nf1", SHA_B, VT_PRIO_NEW_FILE, T0 + 10, true);
	int64_t ex = add(f, "ex", SHA_A, VT_PRIO_NEW_EXEC, T0 + 30, true);

	assert_int_equal(ready(f, T0 + 5), 1); /* the others are not created yet */
	assert_int_equal(f->list[0].id, mod);
	assert_int_equal(ready(f, T0 + 100), 4);
	assert_int_equal(f->list[0].id, ex);
	assert_int_equal(f->list[1].id, nf1);
	assert_int_equal(f->list[2].id, nf2);
	assert_int_equal(f->list[3].id, mod);
	assert_string_equal(vt_job_prio_name(f->list[0].prio), "new_executable");
}

static void test_vt_jobs__ready_respects_the_batch_size(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	char id[16];
	size_t n = 9;

	for (int i = 0; i < 5; i++) {
		snprintf(id, sizeof(id), "a%d", i);
		add(f, id, SHA_A, VT_PRIO_NEW_FILE, T0 + i, true);
	}
	assert_int_equal(vt_jobs_ready(f->j, T0 + 10, f->list, 2, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(f->list[1].alert_id, "a1");
	assert_int_equal(vt_jobs_ready(f->j, T0 + 10, f->list, 0, &n, &err), 0);
	assert_int_equal(n, 0);
}

static void test_vt_jobs__one_request_serves_every_job_of_a_hash(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	char id[16];
	size_t n = 0;
	int64_t first, other;

	first = add(f, "f0", SHA_A, VT_PRIO_NEW_FILE, T0, true);
	for (int i = 1; i < 100; i++) {
		snprintf(id, sizeof(id), "f%d", i);
		add(f, id, SHA_A, VT_PRIO_NEW_FILE, T0 + i, true);
	}
	other = add(f, "other", SHA_B, VT_PRIO_MODIFIED, T0 + 200, true);
	assert_int_equal(vt_jobs_start(f->j, first, T0 + 300, &err), 0);
	/* while SHA_A is in flight, only the other hash is ready */
	assert_int_equal(ready(f, T0 + 300), 1);
	assert_int_equal(f->list[0].id, other);
	assert_int_equal(vt_jobs_for_sha256(f->j, SHA_A, f->list, LIST_MAX, &n, &err), 0);
	assert_int_equal(n, 100);
	assert_int_equal(f->list[0].id, first);
	assert_int_equal(f->list[0].state, VT_JOB_IN_FLIGHT);
	assert_int_equal(vg_db_begin(f->db, &err), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(vt_jobs_complete(f->j, f->list[i].id, "malicious", T0 + 400, &err),
				 0);
	assert_int_equal(vg_db_commit(f->db, &err), 0);
	counts(f, 1, 0, 100, 0);
	assert_int_equal(vt_jobs_for_sha256(f->j, SHA_A, f->list, LIST_MAX, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_string_equal(get(f, first).outcome, "malicious");
	assert_int_equal(vt_jobs_for_sha256(f->j, "nothex", f->list, LIST_MAX, &n, &err),
			 VG_EPARSE);
}

static void test_vt_jobs__retry_waits_and_counts_attempts(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	int64_t id = add(f, "r", SHA_A, VT_PRIO_NEW_FILE, T0, true);
	bool dead = true;
	struct vt_job j;

	assert_int_equal(vt_jobs_start(f->j, id, T0, &err), 0);
	assert_int_equal(vt_jobs_retry(f->j, id, T0 + 30000, "HTTP 503", T0 + 1, &dead, &err), 0);
	assert_false(dead);
	j = get(f, id);
	assert_int_equal(j.state, VT_JOB_QUEUED);
	assert_int_equal(j.attempts, 1);
	assert_int_equal(j.next_try_ms, T0 + 30000);
	assert_string_equal(j.last_error, "HTTP 503");
	assert_int_equal(ready(f, T0 + 29999), 0); /* the back-off is honoured */
	assert_int_equal(ready(f, T0 + 30000), 1);
	/* a postponement (quota, 429) is no failed attempt */
	assert_int_equal(vt_jobs_postpone(f->j, id, T0 + 90000, T0 + 30000, &err), 0);
	assert_int_equal(get(f, id).attempts, 1);
	assert_int_equal(ready(f, T0 + 89999), 0);
	assert_int_equal(ready(f, T0 + 90000), 1);
}

static void test_vt_jobs__dead_letter_after_the_bound(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	char longerr[600];
	int64_t id, ok;
	bool dead = false;
	size_t n = 0;

	fx_close(f);
	f->o.max_attempts = 3;
	fx_open(f);
	id = add(f, "d", SHA_A, VT_PRIO_NEW_FILE, T0, true);
	ok = add(f, "ok", SHA_B, VT_PRIO_NEW_FILE, T0, true);
	memset(longerr, 'e', sizeof(longerr) - 1);
	longerr[sizeof(longerr) - 1] = '\0';
	for (int i = 1; i <= 3; i++) {
		assert_int_equal(vt_jobs_start(f->j, id, T0 + i, &err), 0);
		assert_int_equal(vt_jobs_retry(f->j, id, T0 + i, i == 3 ? longerr : "timeout",
					       T0 + i, &dead, &err),
				 0);
		assert_int_equal(dead, i == 3);
	}
	counts(f, 1, 0, 0, 1);
	assert_int_equal(ready(f, T0 + 1000000), 1); /* the dead one is never served */
	assert_int_equal(f->list[0].id, ok);
	assert_int_equal(vt_jobs_list(f->j, VT_JOB_DEAD, f->list, LIST_MAX, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(f->list[0].id, id);
	assert_int_equal(f->list[0].attempts, 3);
	assert_int_equal(strlen(f->list[0].last_error), VT_JOB_ERROR_MAX);
	assert_int_equal(vt_jobs_complete(f->j, id, "clean", T0, &err), VG_ENOTFOUND);
	vg_err_clear(&err);
	/* an operator revives it */
	assert_int_equal(vt_jobs_revive(f->j, id, T0 + 10, &err), 0);
	assert_int_equal(get(f, id).attempts, 0);
	counts(f, 2, 0, 0, 0);
	assert_int_equal(vt_jobs_revive(f->j, id, T0 + 10, &err), VG_ENOTFOUND);
}

static void test_vt_jobs__transitions_are_guarded(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	int64_t id = add(f, "g", SHA_A, VT_PRIO_NEW_FILE, T0, true);
	struct vt_job j;

	assert_int_equal(vt_jobs_start(f->j, id, T0, &err), 0);
	assert_int_equal(vt_jobs_start(f->j, id, T0, &err), VG_ENOTFOUND);
	vg_test_err_mentions(&err, "no job");
	vg_err_clear(&err);
	assert_int_equal(vt_jobs_complete(f->j, id, "not_found", T0 + 1, &err), 0);
	assert_int_equal(vt_jobs_complete(f->j, id, "clean", T0 + 2, &err), VG_ENOTFOUND);
	vg_err_clear(&err);
	assert_int_equal(vt_jobs_retry(f->j, id, T0, "x", T0, NULL, &err), VG_ENOTFOUND);
	vg_err_clear(&err);
	assert_int_equal(vt_jobs_postpone(f->j, id, T0, T0, &err), VG_ENOTFOUND);
	vg_err_clear(&err);
	assert_int_equal(vt_jobs_complete(f->j, 999, "clean", T0, &err), VG_ENOTFOUND);
	vg_err_clear(&err);
	assert_int_equal(vt_jobs_get(f->j, 999, &j, &err), VG_ENOTFOUND);
	vg_err_clear(&err);
	assert_int_equal(vt_jobs_complete(f->j, id, "", T0, &err), VG_EPARSE);
	assert_string_equal(get(f, id).outcome, "not_found");
	assert_string_equal(vt_job_state_name(get(f, id).state), "done");
}

static void test_vt_jobs__bad_jobs_are_refused(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct vt_job in = job_for("b", "abc", VT_PRIO_NEW_FILE);

	assert_int_equal(vt_jobs_add(f->j, &in, T0, NULL, NULL, &err), VG_EPARSE);
	vg_test_err_mentions(&err, "not a sha256");
	in = job_for("b", SHA_A, VT_PRIO_NEW_FILE);
	snprintf(in.md5, sizeof(in.md5), "1234");
	vg_err_clear(&err);
	assert_int_equal(vt_jobs_add(f->j, &in, T0, NULL, NULL, &err), VG_EPARSE);
	vg_test_err_mentions(&err, "md5");
	in = job_for("", SHA_A, VT_PRIO_NEW_FILE);
	vg_err_clear(&err);
	assert_int_equal(vt_jobs_add(f->j, &in, T0, NULL, NULL, &err), VG_EPARSE);
	vg_test_err_mentions(&err, "alert id");
	in = job_for("b", SHA_A, (enum vt_job_prio)9);
	assert_int_equal(vt_jobs_add(f->j, &in, T0, NULL, NULL, NULL), VG_EPARSE);
	/* a field without its NUL is caught by the bound, not read past */
	in = job_for("b", SHA_A, VT_PRIO_NEW_FILE);
	memset(in.path, 'p', sizeof(in.path));
	vg_err_clear(&err);
	assert_int_equal(vt_jobs_add(f->j, &in, T0, NULL, NULL, &err), VG_ETOOBIG);
	vg_test_err_mentions(&err, "path");
	counts(f, 0, 0, 0, 0);
	/* md5 and sha1 may be unknown, and upper case is folded */
	in = job_for("b", SHA_A, VT_PRIO_NEW_FILE);
	in.md5[0] = '\0';
	snprintf(in.sha1, sizeof(in.sha1), "3395856CE81F2B7382DEE72602F798B642F14140");
	assert_int_equal(vt_jobs_add(f->j, &in, T0, NULL, NULL, &err), 0);
	assert_int_equal(ready(f, T0), 1);
	assert_string_equal(f->list[0].md5, "");
	assert_string_equal(f->list[0].sha1, SHA1_A);
}

static void test_vt_jobs__in_flight_jobs_are_requeued_at_reopen(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	int64_t a = add(f, "a", SHA_A, VT_PRIO_NEW_FILE, T0, true);
	int64_t b = add(f, "b", SHA_B, VT_PRIO_NEW_FILE, T0, true);
	int64_t c = add(f, "c", SHA_B, VT_PRIO_NEW_FILE, T0 + 1, true);

	assert_int_equal(vt_jobs_start(f->j, a, T0 + 2, &err), 0);
	assert_int_equal(vt_jobs_start(f->j, b, T0 + 2, &err), 0);
	assert_int_equal(vt_jobs_complete(f->j, b, "clean", T0 + 3, &err), 0);
	/* the completion of a and its result were being committed: crash */
	assert_int_equal(vg_db_begin(f->db, &err), 0);
	assert_int_equal(vt_jobs_complete(f->j, a, "malicious", T0 + 4, &err), 0);
	fx_close(f); /* no commit */
	fx_open(f);
	assert_int_equal(f->requeued, 1);
	assert_int_equal(get(f, a).state, VT_JOB_QUEUED);
	assert_int_equal(get(f, b).state, VT_JOB_DONE);
	assert_int_equal(ready(f, T0 + 5), 2); /* a is asked again (at least once) ... */
	assert_int_equal(f->list[0].id, a);
	assert_int_equal(f->list[1].id, c);
	assert_int_equal(vt_jobs_start(f->j, a, T0 + 6, &err), 0);
	assert_int_equal(vt_jobs_complete(f->j, a, "malicious", T0 + 7, &err), 0);
	/* ... and completed exactly once */
	assert_int_equal(vt_jobs_complete(f->j, a, "malicious", T0 + 8, &err), VG_ENOTFOUND);
	fx_close(f);
	fx_open(f);
	assert_int_equal(f->requeued, 0);
	counts(f, 1, 0, 2, 0);
}

static void test_vt_jobs__cursor_commits_with_the_jobs(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct vt_job in = job_for("k", SHA_A, VT_PRIO_NEW_FILE);
	int64_t pos = -1;

	assert_int_equal(vt_jobs_cursor_get(f->j, "virustotal", &pos, &err), 0);
	assert_int_equal(pos, 0);
	/* a batch that is not committed moves nothing */
	assert_int_equal(vg_db_begin(f->db, &err), 0);
	assert_int_equal(vt_jobs_add(f->j, &in, T0, NULL, NULL, &err), 0);
	assert_int_equal(vt_jobs_cursor_set(f->j, "virustotal", 41, &err), 0);
	vg_db_rollback(f->db);
	assert_int_equal(vt_jobs_cursor_get(f->j, "virustotal", &pos, &err), 0);
	assert_int_equal(pos, 0);
	counts(f, 0, 0, 0, 0);
	assert_int_equal(vg_db_begin(f->db, &err), 0);
	assert_int_equal(vt_jobs_add(f->j, &in, T0, NULL, NULL, &err), 0);
	assert_int_equal(vt_jobs_cursor_set(f->j, "virustotal", 41, &err), 0);
	assert_int_equal(vg_db_commit(f->db, &err), 0);
	fx_close(f);
	fx_open(f);
	assert_int_equal(vt_jobs_cursor_get(f->j, "virustotal", &pos, &err), 0);
	assert_int_equal(pos, 41);
	assert_int_equal(vt_jobs_cursor_get(f->j, "other", &pos, &err), 0);
	assert_int_equal(pos, 0);
	assert_int_equal(vt_jobs_cursor_set(f->j, "virustotal", -1, &err), VG_EPARSE);
	counts(f, 1, 0, 0, 0);
}

static void test_vt_jobs__prune_removes_old_done_jobs_only(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	int64_t a = add(f, "a", SHA_A, VT_PRIO_NEW_FILE, T0, true);
	int64_t b = add(f, "b", SHA_A, VT_PRIO_NEW_FILE, T0, true);
	int64_t n = -1;

	add(f, "c", SHA_A, VT_PRIO_NEW_FILE, T0, true);
	assert_int_equal(vt_jobs_complete(f->j, a, "clean", T0 + 10, &err), 0);
	assert_int_equal(vt_jobs_complete(f->j, b, "clean", T0 + 20, &err), 0);
	assert_int_equal(vt_jobs_prune(f->j, T0 + 15, 100, &n, &err), 0);
	assert_int_equal(n, 1);
	counts(f, 1, 0, 1, 0);
	assert_int_equal(vt_jobs_prune(f->j, T0 + 100, 100, &n, &err), 0);
	assert_int_equal(n, 1);
	counts(f, 1, 0, 0, 0);
	assert_int_equal(vt_jobs_prune(f->j, T0, 0, &n, &err), VG_EPARSE);
}

/* The integrator's unit of work: job done + verdict cached + quota spent, all or nothing. */
static void test_vt_jobs__three_modules_share_one_transaction(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct vt_cache *c = NULL;
	struct vt_quota *q = NULL;
	struct vt_quota_status s;
	struct vt_cache_hit h;
	int64_t id = add(f, "t", SHA_A, VT_PRIO_NEW_EXEC, T0, true);
	int64_t wait = 0;

	assert_int_equal(vt_cache_open(f->db, NULL, &c, &err), 0);
	assert_int_equal(vt_quota_open(f->db, NULL, &q, &err), 0);
	for (int commit = 0; commit < 2; commit++) {
		assert_int_equal(vg_db_begin(f->db, &err), 0);
		assert_int_equal(vt_jobs_start(f->j, id, T0, &err), 0);
		assert_int_equal(vt_quota_take(q, T0, &wait, NULL, &err), 0);
		assert_int_equal(vt_cache_put(c, SHA_A, VT_VERDICT_MALICIOUS, "{}", T0, &err), 0);
		assert_int_equal(vt_jobs_complete(f->j, id, "malicious", T0, &err), 0);
		if (commit)
			assert_int_equal(vg_db_commit(f->db, &err), 0);
		else
			vg_db_rollback(f->db);
		assert_int_equal(vt_quota_status(q, T0, &s, &err), 0);
		assert_int_equal(s.w[VT_WINDOW_DAY].used, commit);
		assert_int_equal(get(f, id).state, commit ? VT_JOB_DONE : VT_JOB_QUEUED);
		assert_int_equal(vt_cache_get(c, SHA_A, T0, &h, &err), commit ? 0 : VG_ENOTFOUND);
		vt_cache_hit_clear(&h);
	}
	vt_cache_close(c);
	vt_quota_close(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(test_vt_jobs__##name, setup, teardown)
	    T(add_keeps_every_field),
	    T(add_is_idempotent_per_alert_and_integration),
	    T(ready_serves_priority_then_age),
	    T(ready_respects_the_batch_size),
	    T(one_request_serves_every_job_of_a_hash),
	    T(retry_waits_and_counts_attempts),
	    T(dead_letter_after_the_bound),
	    T(transitions_are_guarded),
	    T(bad_jobs_are_refused),
	    T(in_flight_jobs_are_requeued_at_reopen),
	    T(cursor_commits_with_the_jobs),
	    T(prune_removes_old_done_jobs_only),
	    T(three_modules_share_one_transaction),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
