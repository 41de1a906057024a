/*
 * shipper.h - The agent's connection to its manager: HELLO, WELCOME, event
 * batches out of the outbox, ACKs, keepalives, commands
 * (docs/transport.md, port 1514).
 *
 * One thread owns the connection. It tries the <server>s in order: each up
 * to max_retries attempts, retry_interval apart, then the next one (the
 * last wraps to the first). Connected (TLS 1.3, both sides verified against
 * the CA of HOME/etc/agent-ca.pem), it says HELLO (its id, the CN of
 * agent.pem; version; the sha256 of ossec.conf), reads WELCOME (bounds,
 * the last event id the manager holds: the outbox is trimmed up to it),
 * then sends the outbox's records after the last one sent as zlib BATCH
 * frames within the manager's bounds, up to SHIPPER_WINDOW batches ahead of
 * the ACKs; each ACK trims the outbox. Event ids are outbox seqs.
 *
 * Idle, the thread sleeps in one poll() on the socket, the outbox's wake fd
 * and its own stop fd, with a timeout that ends at the next keepalive or
 * at the reconnect deadline: no periodic wake-ups. A KEEPALIVE goes out
 * every notify_time while nothing else is sent; its JSON holds config_sum
 * when ossec.conf changed since the last report on the connection and
 * outbox_full once per full episode (outbox_take_full), else it is {}.
 * Nothing heard for time-reconnect: reconnect. COMMAND: handed to the
 * active-response executor (ar/executor.h), which records its id durably,
 * then answered COMMAND_ACK; a command the executor cannot take now (too
 * many waiting, its state unwritable) is not acknowledged, so the manager
 * sends it again on the next connection. ERROR: logged, reconnect after
 * retry_interval.
 *
 * Threads: shipper_start and shipper_stop on one controlling thread; the
 * shipper thread is the outbox queue's only reader. The pure helpers at
 * the end take no lock and touch no state but their arguments.
 */
#ifndef AGENT_SHIPPER_H
#define AGENT_SHIPPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/outbox.h"
#include "ar/executor.h"
#include "lib/buf.h"
#include "lib/client_conf.h"
#include "lib/err.h"

#define SHIPPER_WINDOW 4     /* batches sent and not yet acknowledged */
#define SHIPPER_IO_MS 10000  /* connect, handshake, one frame */
#define SHIPPER_ZLIB_LEVEL 1 /* fast: the agent's CPU matters more than bytes */
#define SHIPPER_SUM_HEX 65   /* sha256 hex + NUL */

struct shipper;

struct shipper_opts {
	const struct vg_client_conf *client; /* borrowed: servers, timers */
	const char *etc_dir;                 /* HOME/etc: agent.pem, agent.key, agent-ca.pem */
	const char *config_path;             /* ossec.conf, hashed for config_sum */
	struct outbox *outbox;               /* borrowed */
	struct ar_exec *exec;                /* borrowed: takes the COMMANDs */
	int io_timeout_ms;                   /* 0: SHIPPER_IO_MS */
};

/*
 * Start the shipper thread. Everything in opts must outlive the shipper.
 * It runs until shipper_stop; connection failures are logged and retried,
 * never returned.
 */
int shipper_start(const struct shipper_opts *opts, struct shipper **out,
		  struct vg_err *err) VG_MUST_CHECK;

/*
 * Stop the thread (it leaves poll or its retry wait at once; a connect or
 * frame in progress ends within io_timeout_ms), join it, close the
 * connection and free s. NULL allowed.
 */
void shipper_stop(struct shipper *s);

/* ---- Pure pieces (unit-tested without a manager) ------------------------------- */

/* Where the retry loop stands: which server, how many failed attempts on it. */
struct shipper_retry {
	size_t server;
	unsigned attempts;
};

/*
 * Account for the end of a connection to servers[r->server] and return the
 * milliseconds to wait before the next attempt. established (WELCOME was
 * read): the count starts over on the same server, after 1 s (so a manager
 * that drops every connection at once is not hammered). Otherwise the
 * attempt counts: after max_retries failures the next server is tried
 * (wrapping); the wait is the failed server's retry_interval.
 */
uint64_t shipper_retry_next(struct shipper_retry *r, const struct vg_client_server *servers,
			    size_t nservers, bool established);

/* What WELCOME says (bounds already clamped to what this agent can do). */
struct shipper_welcome {
	uint64_t last_event;   /* highest event id the manager holds */
	uint32_t max_frame;    /* BATCH frame bytes, header included */
	uint32_t max_inflated; /* raw batch bytes */
	uint32_t max_events;   /* records per batch */
};

/*
 * Parse a WELCOME payload: last_event (a non-negative integer) is required;
 * absent or zero bounds take lib/wire.h's defaults, larger ones are cut to
 * VG_WIRE_FRAME_LIMIT (frame, inflated) and VG_WIRE_EVENTS_MAX * 100
 * (events). VG_EPARSE otherwise.
 */
int shipper_parse_welcome(const void *payload, size_t len, struct shipper_welcome *out,
			  struct vg_err *err) VG_MUST_CHECK;

/*
 * The KEEPALIVE JSON into out (reset first): config_sum when sum differs
 * from reported (which is then updated; both SHIPPER_SUM_HEX bytes), and
 * "outbox_full":{"events":N,"bytes":M} when full is not NULL; {} when
 * neither.
 */
int shipper_keepalive_json(const char *sum, char reported[SHIPPER_SUM_HEX],
			   const struct outbox_full *full, struct vg_buf *out,
			   struct vg_err *err) VG_MUST_CHECK;

/*
 * When the next KEEPALIVE is due (monotonic ms): notify_ms after the last
 * frame sent; with a report pending (a full outbox), notify_ms after the
 * last keepalive even if batches were sent since.
 */
uint64_t shipper_keepalive_at(uint64_t last_sent, uint64_t last_keepalive, uint64_t notify_ms,
			      bool report_pending);

/* sha256 of the file's bytes as lowercase hex into sum; "" when unreadable. */
void shipper_config_sum(const char *path, char sum[SHIPPER_SUM_HEX]);

#endif
