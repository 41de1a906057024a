/*
 * vt_answer.h - What a VirusTotal v3 file lookup answered, and the JSON line
 * Vigie injects back into analysis for it (docs/virustotal.md).
 *
 * Two pure steps, no I/O, no state (any thread, fuzzable):
 *
 *   vt_answer_parse   HTTP status + body of GET /files/{sha256} -> one
 *                     outcome (enum vt_outcome) and, for VT_FOUND, the
 *                     verdict. Anything unexpected is VT_BAD_ANSWER, never
 *                     a wrong verdict: a 200 must be a well-typed file object
 *                     for the very hash asked, a 404 must say NotFoundError.
 *   vt_answer_event   outcome + the file's FIM alert -> the message Wazuh's
 *                     integrations/virustotal.py sends (same keys, same
 *                     order, same error codes, so the shipped rules
 *                     87100-87106 fire unchanged), plus Vigie's additions
 *                     under new keys after Wazuh's.
 *
 * The client (vt_client.h) fills VT_TIMEOUT and VT_NETWORK itself with
 * vt_answer_fail(); vt_answer_parse never returns them.
 */
#ifndef VT_ANSWER_H
#define VT_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/err.h"

/* Largest body accepted (decoded, after gzip): the EICAR object is 39 KB. */
#define VT_ANSWER_MAX (2u * 1024u * 1024u)
/* Text fields (threat label, meaningful name) are cut to this, NUL included. */
#define VT_ANSWER_TEXT_MAX 256u
/* VirusTotal's error.code ("QuotaExceededError"), NUL included. */
#define VT_ANSWER_CODE_MAX 64u
/* Per-engine counts above this are not a real answer (VT has ~80 engines). */
#define VT_ANSWER_COUNT_MAX 100000u

enum vt_outcome {
	VT_FOUND,      /* 200 with a file object for the hash asked: verdict filled */
	VT_NOT_FOUND,  /* 404 NotFoundError: VirusTotal does not know the hash */
	VT_AUTH,       /* 401 or 403 (http_status says which): the key is refused */
	VT_QUOTA,      /* 429 QuotaExceededError / TooManyRequestsError (or v2's 204) */
	VT_SERVER,     /* 5xx: transient on VirusTotal's side */
	VT_BAD_ANSWER, /* unusable answer: bad JSON, fields, types, hash, size, status */
	VT_TIMEOUT,    /* no complete answer within the timeout (client only) */
	VT_NETWORK,    /* connect, DNS, TLS or connection failure (client only) */
};

struct vt_answer {
	enum vt_outcome outcome;
	long http_status;                 /* 0: no HTTP answer (timeout, network) */
	char vt_code[VT_ANSWER_CODE_MAX]; /* error.code of an error body, "" if none */
	char detail[VG_ERR_MSG_MAX];      /* why, for logs; "" for VT_FOUND. Never
					     holds the API key; untrusted text is
					     escaped. */
	bool unsent;                      /* VT_NETWORK only: the request never
					     left (connect, DNS, TLS handshake), so
					     VirusTotal counted nothing */
	/* The verdict: set for VT_FOUND only (zero otherwise). */
	char sha256[65]; /* lower-case hex, == the hash asked */
	char sha1[41];
	char md5[33];
	uint64_t malicious; /* engines saying malicious: Wazuh's positives */
	uint64_t suspicious;
	uint64_t undetected;
	uint64_t harmless;
	uint64_t total;                           /* malicious+suspicious+undetected+harmless:
						     engines that gave a verdict (see .c) */
	int64_t last_analysis_date;               /* epoch seconds UTC (> 0) */
	int64_t first_submission_date;            /* epoch seconds UTC; 0: absent */
	char threat_label[VT_ANSWER_TEXT_MAX];    /* popular_threat_classification.
						     suggested_threat_label; "" absent */
	char meaningful_name[VT_ANSWER_TEXT_MAX]; /* "" absent */
};

/* "VT_FOUND" ... for logs. Never NULL. */
const char *vt_outcome_name(enum vt_outcome o);

/*
 * Classify the answer to GET /files/{want_sha256} (status and the decoded
 * body[0..len), not necessarily NUL-terminated) into *out, which is always
 * fully written. Returns 0 whatever the outcome (a bad answer is an outcome,
 * not a failure); VG_EPARSE (out: VT_BAD_ANSWER) only when want_sha256 is
 * not 64 hex digits, a caller bug. Matching of the hash ignores case.
 */
int vt_answer_parse(long http_status, const char *body, size_t len, const char *want_sha256,
		    struct vt_answer *out, struct vg_err *err);

/*
 * Fill *out as an answer with no verdict: outcome o, http_status (0 when
 * none), detail (may be NULL). For the client's VT_TIMEOUT / VT_NETWORK /
 * VT_BAD_ANSWER (body over the cap) and for the integrator's own failures.
 */
void vt_answer_fail(struct vt_answer *out, enum vt_outcome o, long http_status, const char *detail);

/* The FIM alert the lookup was made for: Wazuh's "source" block. */
struct vt_source {
	const char *alert_id;   /* the FIM alert's id "epoch.offset"; NULL: "" */
	const char *file;       /* syscheck.path; NULL: "" */
	const char *md5;        /* syscheck.md5_after; NULL: "" */
	const char *sha1;       /* syscheck.sha1_after; NULL: "" */
	const char *sha256;     /* syscheck.sha256_after (the hash looked up); NULL:
				   the answer's */
	const char *agent_id;   /* the agent owning the file ("001"); NULL: no
				   "agent" key in error events */
	const char *agent_name; /* NULL: "" */
};

enum vt_cache_state {
	VT_CACHE_NONE, /* no "cache" key */
	VT_CACHE_HIT,  /* "cache":"hit": the verdict came from Vigie's cache */
	VT_CACHE_MISS, /* "cache":"miss": VirusTotal was asked */
};

/* Vigie's additions that are not in the answer. */
struct vt_extra {
	enum vt_cache_state cache;
	long latency_ms; /* < 0: no "latency_ms" key */
};

#define VT_EXTRA_INIT                                                                              \
	{                                                                                          \
		VT_CACHE_NONE, -1                                                                  \
	}

/*
 * Append to out the JSON message for a (compact, no newline), exactly in
 * Wazuh's shape and key order (docs/virustotal.md has every variant):
 *
 *   VT_FOUND      {"virustotal":{"found":1,"malicious":0|1,"source":{...},
 *                 "sha1","scan_date","positives","total","permalink",
 *                 + Vigie keys},"integration":"virustotal"}
 *   VT_NOT_FOUND  {"virustotal":{"found":0,"malicious":0,"source":{...},
 *                 + Vigie keys},"integration":"virustotal"}
 *   errors        {"virustotal":{"error":CODE,"description":"Error: ...",
 *                 + Vigie keys},"integration":"virustotal"}
 *                 CODE: 204 quota (rule 87101), 403 credentials, 401 too
 *                 (87102), 408 timeout (87106), the HTTP status for 5xx and
 *                 bad answers, 0 for network failures.
 *
 * src and x may be NULL. On failure (VG_ETOOBIG past out's cap) out is
 * unchanged.
 */
int vt_answer_event(const struct vt_answer *a, const struct vt_source *src,
		    const struct vt_extra *x, struct vg_buf *out, struct vg_err *err) VG_MUST_CHECK;

/*
 * The verdict cache's text for a (VT_FOUND or VT_NOT_FOUND; anything else
 * is VG_EPARSE): a compact JSON object of the verdict's fields, so a cache
 * hit rebuilds the same event as the lookup did. Appended to out.
 */
int vt_answer_cache_text(const struct vt_answer *a, struct vg_buf *out,
			 struct vg_err *err) VG_MUST_CHECK;

/* Back from vt_answer_cache_text's text into *out; VG_EPARSE for anything else. */
int vt_answer_from_cache(const char *text, struct vt_answer *out, struct vg_err *err) VG_MUST_CHECK;

#endif
