/*
 * vt_client.h - VirusTotal API v3 file lookups over HTTP, many at once
 * (docs/virustotal.md).
 *
 * One lookup is GET {base_url}/files/{sha256} with the key in the x-apikey
 * header (never in a URL, a log line or an error message), gzip accepted,
 * TLS peer and host verification on, no redirect followed, a total timeout,
 * a low-speed abort and a cap on the (decoded) body. Its result is a
 * struct vt_answer (vt_answer.h): VT_TIMEOUT, VT_NETWORK, VT_BAD_ANSWER for
 * a body over the cap, else what vt_answer_parse made of status and body.
 *
 * The client is libcurl's multi interface driven by the caller's thread:
 * it has no thread of its own. The owner loops on vt_client_run(), which
 * waits for network activity (or vt_client_wakeup) at most timeout_ms and
 * calls done() for each finished lookup. Lookups complete independently,
 * in any order; connections to the same host are reused.
 *
 * Process set-up: vt_client_global_init() must be called once by main()
 * before any thread starts (it runs curl_global_init, which is not
 * thread-safe in every libcurl build); vt_client_global_cleanup() at exit.
 * Vigie keeps no static state, so this is the daemon's job, not a
 * pthread_once here.
 *
 * Thread model: a client belongs to the thread that created it; only
 * vt_client_wakeup() may be called from any thread.
 */
#ifndef VT_CLIENT_H
#define VT_CLIENT_H

#include <stddef.h>

#include "lib/err.h"
#include "manager/vt_allowance.h"
#include "manager/vt_answer.h"

#define VT_BASE_URL_DEFAULT "https://www.virustotal.com/api/v3"
#define VT_TIMEOUT_DEFAULT_S 10u        /* Wazuh's <integration><timeout> */
#define VT_CONNECT_TIMEOUT_DEFAULT_S 5u /* capped at the timeout */
#define VT_CLIENT_MAX_INFLIGHT 1024u    /* lookups in flight at once */
/* Abort a transfer slower than this many bytes/s for half the timeout. */
#define VT_LOW_SPEED_BYTES 64L
#define VT_API_KEY_MAX 256u

struct vt_client_opts {
	const char *base_url;       /* NULL: VT_BASE_URL_DEFAULT. <hook_url> goes
				       here; http:// is allowed (tests) */
	const char *api_key;        /* required, 1..VT_API_KEY_MAX-1 bytes of
				       printable ASCII; copied, wiped at free */
	unsigned timeout_s;         /* whole lookup; 0: VT_TIMEOUT_DEFAULT_S */
	unsigned connect_timeout_s; /* 0: VT_CONNECT_TIMEOUT_DEFAULT_S */
	size_t max_body;            /* decoded body cap; 0 or > VT_ANSWER_MAX:
				       VT_ANSWER_MAX */
	const char *ca_file;        /* NULL: the system CA store */
};

#define VT_CLIENT_OPTS_INIT                                                                        \
	{                                                                                          \
		NULL, NULL, 0, 0, 0, NULL                                                          \
	}

struct vt_client;

/*
 * Called by vt_client_run for each finished lookup: lookup_ctx is what
 * vt_client_lookup was given, a the answer (borrowed for the call),
 * latency_ms the time from vt_client_lookup to the end. It may call
 * vt_client_lookup (a retry); it must not free the client.
 */
typedef void (*vt_done_fn)(void *done_ctx, void *lookup_ctx, const struct vt_answer *a,
			   long latency_ms);

/* Once per process, before threads (see above). */
int vt_client_global_init(struct vg_err *err) VG_MUST_CHECK;
void vt_client_global_cleanup(void);

/*
 * A new client in *out (caller-owned, vt_client_free). VG_EPARSE for a
 * missing or malformed key or base URL (the message never quotes the key);
 * VG_EINTERNAL if libcurl fails.
 */
int vt_client_new(const struct vt_client_opts *o, struct vt_client **out,
		  struct vg_err *err) VG_MUST_CHECK;

/*
 * Start looking sha256 (64 hex digits, any case) up; ctx comes back in
 * done(). Nothing is sent before the next vt_client_run. VG_EPARSE for a
 * bad hash, VG_ETOOBIG with VT_CLIENT_MAX_INFLIGHT lookups in flight,
 * VG_EINTERNAL if libcurl fails. On failure done() is never called for ctx.
 */
int vt_client_lookup(struct vt_client *c, const char *sha256, void *ctx,
		     struct vg_err *err) VG_MUST_CHECK;

/*
 * Do the network work that is ready, waiting up to timeout_ms (0: do not
 * wait) for activity or a vt_client_wakeup, then call done(done_ctx, ...)
 * for each lookup that finished. Waits even with nothing in flight, so it
 * can be the owner's only sleep. VG_EINTERNAL if libcurl's multi fails.
 */
int vt_client_run(struct vt_client *c, int timeout_ms, vt_done_fn done, void *done_ctx,
		  struct vg_err *err) VG_MUST_CHECK;

/*
 * Called by vt_client_run when an overall_quotas request ends: ctx is what
 * vt_client_allowance was given, a the result (borrowed for the call). It
 * may start lookups or another allowance request; not free the client.
 */
typedef void (*vt_allowance_fn)(void *ctx, const struct vt_allowance *a);

/*
 * Start GET {base_url}/users/{key}/overall_quotas; fn(ctx, ...) is called
 * by the vt_client_run that sees it end (done() is not called for it). It
 * shares the connections, the timeouts and VT_CLIENT_MAX_INFLIGHT with the
 * lookups; its body cap is VT_ALLOWANCE_BODY_MAX. VG_ETOOBIG when full,
 * VG_EINTERNAL if libcurl fails (messages never quote the key or the URL).
 * On failure fn is never called.
 */
int vt_client_allowance(struct vt_client *c, vt_allowance_fn fn, void *ctx,
			struct vg_err *err) VG_MUST_CHECK;

/* Lookups and allowance requests started and not yet reported. */
size_t vt_client_inflight(const struct vt_client *c);

/* Make a vt_client_run that waits (or the next one) return early. Any thread. */
void vt_client_wakeup(struct vt_client *c);

/*
 * Cancel the lookups in flight (their done() is never called), close the
 * connections, wipe the key, free. NULL is allowed. Not from done().
 */
void vt_client_free(struct vt_client *c);

#endif
