/*
 * event.h - One event under analysis, and the rule that fired on it.
 *
 * The manager's analysis is a pipeline: a decoder turns a received line into
 * a struct an_event, the rule engine reads it and, when an alerting rule
 * fires, describes that rule in a struct an_rule_info; the alert writers
 * (alerts.json, alerts.log, the alert store) read both. These two records
 * are the contracts between those stages, so they are plain structs on
 * purpose (STYLE.md: opaque unless there is a reason): they are filled on
 * the hot path without allocation and read by three independent modules.
 *
 * Every pointer in them is borrowed: the decoder's result owns the event's
 * strings, texts and JSON objects, the rule engine owns the rule's strings until
 * its next evaluation. Nothing here is copied or freed by a reader.
 *
 * Thread model: both records belong to the analysis thread that fills them.
 */
#ifndef AN_EVENT_H
#define AN_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "manager/fields.h"

/*
 * What the alert store keeps of a FIM event's "syscheck" object: its path,
 * md5_after, sha1_after, sha256_after as plain (unescaped) strings, NULL
 * when the object has no such key. Written by the decoder beside the
 * object's text, so the store reads them without parsing the text.
 */
struct an_fim_keys {
	const char *path;
	const char *md5;
	const char *sha1;
	const char *sha256;
};

/* An event as Wazuh's analysisd sees it (its Eventinfo, the parts we use). */
struct an_event {
	int64_t time_ms;                /* reception time, ms since the epoch: alert timestamp */
	const char *agent_id;           /* "000" for the manager itself, "001"... */
	const char *agent_name;         /* the manager's hostname for "000" */
	const char *agent_ip;           /* NULL: the alert's "agent" object has no "ip" */
	const char *location;           /* "syscheck", "virustotal", a log file... */
	const char *log;                /* what <match> and <regex> see (lf->log) */
	const char *full_log;           /* the alert's full_log (lf->full_log) */
	const char *decoder;            /* decoder name, NULL when no decoder matched */
	const struct an_fields *fields; /* decoded fields; never NULL */
	/* the alert's "syscheck" object as JSON text ("{...}", escaped as
	 * an_alert_json_string does), or NULL; syscheck_len bytes, no NUL needed */
	const char *syscheck;
	size_t syscheck_len;
	struct an_fim_keys fim; /* what the alert store indexes of it */
	json_t *data;           /* alert "data" object (json decoder), or NULL */
};

/* The rule that fired, as the alert writers need it. */
struct an_rule_info {
	unsigned id;
	unsigned level;
	const char *description; /* after $(field) substitution */
	const char *groups;      /* Wazuh's raw group string: "ossec,syscheck,...,pci_dss_11.5," */
	uint64_t firedtimes;     /* this rule's count, this event included */
	bool mail;               /* alert "mail": level >= email_alert_level or alert_by_email */
	bool no_full_log;        /* options no_full_log: alerts.json omits full_log */
	bool no_counter;         /* options no_counter: alerts.json omits firedtimes */
	size_t n_mitre;          /* mitre ids, in the rule's order */
	const char *const *mitre_ids;        /* "T1565.001" */
	const char *const *mitre_techniques; /* parallel to mitre_ids; NULL when unknown */
	size_t n_tactics;
	const char *const *mitre_tactics; /* deduplicated, first-seen order */
};

#endif
