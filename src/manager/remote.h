/*
 * remote.h - The manager's agent channel: Wazuh's remoted and authd in one
 * event-loop thread (docs/transport.md is the protocol, docs/manager.md
 * what is logged and bounded).
 *
 * One thread owns every listener (each <remote> port, 1514 by default, and
 * the <auth> enrollment port, 1515, unless disabled) and every connection,
 * driven by epoll with non-blocking OpenSSL. On 1515 it enrolls agents
 * (ENROLL -> ENROLLED); on 1514 it pushes their batches into the agents'
 * in-memory FIFO (ingest.h) under the agent id and the agent's event ids,
 * rewriting each location as "[001] (name) ip->LOC", and acknowledges a
 * batch only once analysis has committed its alerts (the FIFO's durable
 * mark reached the batch's last id). It never drops an event: a full FIFO
 * or an agent over its rate only stops reading that connection for a
 * while.
 *
 * Threads: remote_open/start/stop/close belong to the thread that owns the
 * manager (main); remote_command, remote_port and remote_stats may be
 * called from any thread. The registry handed to remote_open belongs to the
 * remote's thread from then on (it is its only writer) and is closed by
 * remote_close.
 */
#ifndef MGR_REMOTE_H
#define MGR_REMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/dqueue.h"
#include "lib/err.h"
#include "lib/pki.h"
#include "manager/ingest.h"
#include "manager/registry.h"
#include "manager/remote_conf.h"

#define REMOTE_MAX_CONNS 4096    /* connections of all listeners together */
#define REMOTE_HELLO_MS 10000    /* TLS handshake + HELLO after accept */
#define REMOTE_IDLE_MS 180000    /* no frame for 3 x time-reconnect (60 s) */
#define REMOTE_RETRY_MS 100      /* retry of a batch the full queue refused */
#define REMOTE_FLUSH_MS 1000     /* keepalives to the registry, revocation checks */
#define REMOTE_COMMANDS_MAX 1024 /* commands waiting per agent */
#define REMOTE_ACKS_MAX 64       /* batches waiting for their ACK per connection */

struct remote;

struct remote_opts {
	const char *home;
	const struct mgr_remote_conf *remote; /* listeners; copied at open */
	const struct mgr_auth_conf *auth;     /* enrollment; copied at open */
	struct reg *registry;                 /* transferred, even on failure */
	const struct vg_pki_ca *ca;           /* borrowed; signs and verifies */
	const char *server_cert;              /* PEM paths of the manager's certificate */
	const char *server_key;
	struct vg_dq *queue;       /* the event queue (agents' notices), borrowed */
	struct mgr_ingest *ingest; /* the agents' records, borrowed */
	const char *auth_bind;     /* enrollment address; NULL = all (Wazuh's authd) */
	const char *password;      /* enrollment password (copied, wiped); NULL = none */
	size_t password_len;
	/* Bounds announced in WELCOME; 0 = VG_WIRE_FRAME_MAX, _INFLATED_MAX, _EVENTS_MAX. */
	uint32_t max_frame;
	uint32_t max_inflated;
	uint32_t max_events;
	/* Called on the remote's thread when an agent acknowledges a command
	 * (it took it); NULL = none. Must not block. */
	void (*on_command_ack)(void *ctx, const char *agent_id, uint64_t id);
	void *ack_ctx;
	int hello_ms; /* 0 = REMOTE_HELLO_MS (tests shorten it) */
	int idle_ms;  /* 0 = REMOTE_IDLE_MS */
};

/* Which listener remote_port names. */
enum remote_which {
	REMOTE_EVENTS, /* the first <remote> listener */
	REMOTE_ENROLL, /* the <auth> listener */
};

struct remote_stats {
	uint64_t connections; /* accepted, both ports */
	uint64_t open;        /* open now */
	uint64_t enrolled;    /* ENROLLED answers */
	uint64_t batches;     /* batches acknowledged (analysed and committed) */
	uint64_t events;      /* records pushed to the FIFO (new) */
	uint64_t duplicates;  /* records the FIFO held or analysis committed already */
	uint64_t refused;     /* connections refused or closed on a protocol error */
	uint64_t commands;    /* COMMAND frames sent */
};

/*
 * Bind and listen on every port (port 0 = an ephemeral one, see
 * remote_port), build the TLS contexts (client certificates from ca on the
 * events ports, none on the enrollment port). Errors name the address and
 * port. The thread is not started yet.
 */
int remote_open(const struct remote_opts *opts, struct remote **out,
		struct vg_err *err) VG_MUST_CHECK;

/* Start the event-loop thread. */
int remote_start(struct remote *r, struct vg_err *err) VG_MUST_CHECK;

/*
 * Ask the thread to stop and join it: connections are closed (a batch
 * waiting for room or for analysis is not acknowledged; the agent resends
 * what the store does not hold),
 * pending keepalives are written. Idempotent; NULL allowed.
 */
void remote_stop(struct remote *r);

/* Stop if needed, close the listeners and the registry, free (NULL allowed). */
void remote_close(struct remote *r);

/* The port a listener is bound to (the ephemeral one for port 0); 0 if none. */
uint16_t remote_port(const struct remote *r, enum remote_which which);

/*
 * Queue command id (the caller's, unique and non-zero: manager/responder.h
 * numbers them durably) for agent_id: json is an object without "id"; the
 * remote adds {"id":id} and sends it as a COMMAND frame when the agent is
 * connected (now or later, while this process runs). The command is kept
 * until the agent's COMMAND_ACK (then opts.on_command_ack is called); one
 * sent on a connection that closes before the ACK goes out again on the
 * next one (the agent runs an id at most once). Queueing an id already
 * queued does nothing. VG_EPARSE for json that is not an object,
 * VG_ETOOBIG over REMOTE_COMMANDS_MAX waiting for that agent or over the
 * control frame cap. Thread-safe.
 */
int remote_command(struct remote *r, const char *agent_id, uint64_t id, const char *json,
		   struct vg_err *err) VG_MUST_CHECK;

/* Drop command id if it has not been sent yet (true); false when it is
 * unknown or already on its way. Thread-safe. */
bool remote_command_cancel(struct remote *r, uint64_t id);

/* Counters so far. Thread-safe. */
void remote_stats(struct remote *r, struct remote_stats *out);

#endif
