/*
 * remote_int.h - What remote.c (the event loop, TLS and frame I/O),
 * remote_session.c (the events protocol on 1514) and remote_enroll.c
 * (enrollment on 1515) share. Not a public API: see remote.h.
 *
 * Everything here belongs to the remote's thread except what struct
 * remote's mutex guards (the command queue and the counters).
 */
#ifndef MGR_REMOTE_INT_H
#define MGR_REMOTE_INT_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "lib/buf.h"
#include "lib/dqueue.h"
#include "lib/wire.h"
#include "manager/ingest.h"
#include "manager/registry.h"
#include "manager/remote.h"

#define REMOTE_ADDR_MAX INET6_ADDRSTRLEN
#define REMOTE_OUT_MAX (4u * 1024u * 1024u) /* bytes waiting to be sent */

enum remote__kind { REMOTE__EVENTS, REMOTE__ENROLL };

enum remote__state {
	REMOTE__HANDSHAKE, /* SSL_accept not done */
	REMOTE__HELLO,     /* events: waiting for HELLO; enroll: for ENROLL */
	REMOTE__READY,     /* events: HELLO accepted */
	REMOTE__CLOSING,   /* flushing a last frame (ERROR, ENROLLED), then close */
};

/* One command for an agent, kept until the agent acknowledges it. */
struct remote__cmd {
	struct remote__cmd *next;
	char agent[REG_ID_TEXT];
	uint64_t id;
	char *json;                      /* the whole COMMAND payload, "id" included */
	const struct remote__conn *sent; /* the connection it went out on, NULL: not sent */
};

struct remote__conn {
	struct remote__conn *prev, *next;
	int fd;
	SSL *ssl;
	enum remote__kind kind;
	enum remote__state state;
	char addr[REMOTE_ADDR_MAX]; /* the peer's address, for logs and the registry */
	uint32_t epoll_mask;        /* what epoll watches now */
	bool read_wants_write;      /* SSL_read said WANT_WRITE */
	int64_t deadline_ms;        /* handshake + HELLO must be done by then */
	int64_t last_rx_ms;         /* last frame received (idle timeout) */
	/* the frame being received: header, then payload */
	uint8_t hdr[VG_WIRE_HDR_LEN];
	size_t hdr_have;
	struct vg_wire_hdr h;
	struct vg_buf in;
	/* bytes to send, from out_off */
	struct vg_buf out;
	size_t out_off;
	/* events: the agent */
	char id[REG_ID_TEXT];
	char name[REG_NAME_MAX + 1];
	char serial[VG_PKI_SERIAL_MAX];
	double tokens;     /* events the rate still allows; negative = in debt */
	int64_t tokens_ms; /* when tokens was last refilled */
	/* a batch the full FIFO refused: kept, retried until taken */
	struct mgr_ingest_rec *recs;
	size_t nrecs;
	struct vg_buf recdata;
	uint64_t pending_ack; /* its last event id */
	bool queue_full;
	/* last ids of the batches taken, ascending: each ACKed once durable */
	uint64_t acks[REMOTE_ACKS_MAX];
	size_t nacks;
	/* the latest keepalive not yet in the registry */
	bool ka_pending;
	char ka_version[REG_VERSION_MAX + 1];
	char ka_sum[REG_SUM_MAX + 1];
};

struct remote__listener {
	int fd;
	enum remote__kind kind;
	uint16_t port;
	const struct mgr_remote *conf; /* events listeners: allowed/denied networks */
};

struct remote {
	char *home;
	struct mgr_remote *remotes; /* copies of the <remote> blocks (networks owned) */
	size_t nremotes;
	struct mgr_auth_conf auth; /* flags only: its paths are not copied */
	struct reg *reg;
	const struct vg_pki_ca *ca;
	struct vg_dq *queue;
	struct mgr_ingest *ingest;
	char *password;
	size_t password_len;
	char *ca_pem; /* sent in ENROLLED */
	SSL_CTX *ctx_events;
	SSL_CTX *ctx_enroll;
	uint32_t max_frame, max_inflated, max_events;
	int hello_ms, idle_ms;
	unsigned events_per_second; /* of the first listener (one rate for all) */
	struct remote__listener listeners[MGR_REMOTE_MAX + 1];
	size_t nlisteners;
	int epfd;
	int wakefd; /* eventfd: stop, or a command queued */
	pthread_t thread;
	bool running;
	atomic_bool stop;
	struct remote__conn *conns; /* list of open connections */
	size_t nconns;
	struct vg_buf scratch; /* batches inflated here (one thread) */
	int64_t next_flush_ms;
	pthread_mutex_t mu; /* guards cmds and stats */
	struct remote__cmd *cmds;
	void (*on_command_ack)(void *ctx, const char *agent_id, uint64_t id);
	void *ack_ctx;
	struct remote_stats stats;
};

/* Monotonic milliseconds. */
int64_t remote__now_ms(void);

/* Queue a frame on c (sent by the loop). VG_ETOOBIG past REMOTE_OUT_MAX. */
int remote__send(struct remote__conn *c, unsigned type, const void *payload, size_t len);

/*
 * Send {"error":msg} and close c once it is out (counted as a refusal).
 * remote__refuse also logs the message (warning) with the agent, if known,
 * and the address; remote__error is for callers that logged already.
 */
void remote__error(struct remote *r, struct remote__conn *c, const char *msg);
void remote__refuse(struct remote *r, struct remote__conn *c, const char *msg);

/* Bump a counter under the mutex. */
void remote__count(struct remote *r, size_t offset, uint64_t n);
#define REMOTE__COUNT(r, field, n) remote__count((r), offsetof(struct remote_stats, field), (n))

/* remote_enroll.c: one ENROLL frame on the enrollment port. */
void remote__enroll(struct remote *r, struct remote__conn *c);

/* remote_session.c: the handshake is done on an events connection (check the certificate). */
void remote__session_accepted(struct remote *r, struct remote__conn *c);
/* remote_session.c: one frame on an events connection. */
void remote__session_frame(struct remote *r, struct remote__conn *c);
/* remote_session.c: retry a batch the FIFO refused; true when it went in. */
bool remote__session_retry(struct remote *r, struct remote__conn *c);
/* remote_session.c: send c's ACKs that analysis made due; true when one went out. */
bool remote__session_acks(struct remote *r, struct remote__conn *c);
/* remote_session.c: refill the rate bucket; true when c may read again. */
bool remote__session_refill(struct remote *r, struct remote__conn *c, int64_t now);
/* remote_session.c: once a second: keepalives into the registry, revocations. */
void remote__session_flush(struct remote *r);
/* remote_session.c: send the commands waiting for c's agent. */
void remote__session_commands(struct remote *r, struct remote__conn *c);
/* remote_session.c: a connection goes away: write its pending keepalive, free its batch. */
void remote__session_closed(struct remote *r, struct remote__conn *c);

#endif
