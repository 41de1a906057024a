/*
 * remote.c - The agent channel's event loop: listeners, connections,
 * non-blocking TLS and frame I/O (see remote.h; the protocol itself is in
 * remote_session.c and remote_enroll.c).
 *
 * One thread, one epoll set (level-triggered): the listeners, an eventfd
 * (stop, commands queued), the FIFO's eventfd (analysis committed: ACKs
 * are due), and every connection. A connection reads
 * exactly one frame at a time (header, then its payload, bounded by the
 * header's length checked against the cap before anything is allocated),
 * dispatches it, and only then reads the next one, so "stop reading this
 * connection" (a full queue, an agent over its rate) is simply taking
 * EPOLLIN out of its mask: TCP pushes back to the agent. Bytes OpenSSL
 * already decrypted are not seen by epoll, so resuming a connection pumps
 * it at once instead of waiting for the socket.
 *
 * A connection is never freed inside a frame handler: handlers mark it
 * closing (an ERROR or a last answer to flush) or dead, and the loop frees
 * it when its I/O returns. Timers (hello deadline, idle, retries, the
 * once-a-second flush) run after each epoll_wait, which waits at most
 * REMOTE_RETRY_MS while a connection is paused, else REMOTE_FLUSH_MS.
 */
#include "manager/remote.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stddef.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/err.h>

#include "lib/common.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/passfile.h"
#include "lib/str.h"
#include "lib/tls.h"
#include "manager/remote_int.h"

#define REMOTE_READ_CHUNK 16384
#define REMOTE_EPOLL_EVENTS 64
#define REMOTE_KEEP_BUF (64u * 1024u) /* a frame buffer larger than this is freed after use */

/* Tags of the epoll data that are not connections. */
enum { TAG_WAKE = 1, TAG_DURABLE = 2, TAG_LISTENER = 3 };

int64_t remote__now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void remote__count(struct remote *r, size_t offset, uint64_t n)
{
	pthread_mutex_lock(&r->mu);
	*(uint64_t *)((char *)&r->stats + offset) += n;
	pthread_mutex_unlock(&r->mu);
}

/* ---------------------------------------------------------------- sending */

int remote__send(struct remote__conn *c, unsigned type, const void *payload, size_t len)
{
	uint8_t hdr[VG_WIRE_HDR_LEN];

	if (len > UINT32_MAX || c->out.len + VG_WIRE_HDR_LEN + len > REMOTE_OUT_MAX)
		return VG_ETOOBIG;
	vg_wire_hdr_encode(hdr, type, 0, (uint32_t)len);
	if (vg_buf_append(&c->out, hdr, sizeof(hdr)) != 0 ||
	    (len > 0 && vg_buf_append(&c->out, payload, len) != 0))
		return VG_ETOOBIG;
	return 0;
}

void remote__refuse(struct remote *r, struct remote__conn *c, const char *msg)
{
	if (c->id[0] != '\0')
		vg_log_warn("agent %s (%s) refused: %s", c->id, c->addr, msg);
	else
		vg_log_warn("connection from %s refused: %s", c->addr, msg);
	remote__error(r, c, msg);
}

void remote__error(struct remote *r, struct remote__conn *c, const char *msg)
{
	struct vg_buf text = VG_BUF_INIT(VG_WIRE_CONTROL_MAX);
	json_t *j = json_pack("{s:s}", "error", msg);

	if (c->state != REMOTE__CLOSING) {
		/* no room for the ERROR: the close alone still refuses */
		if (j != NULL && vg_json_dump(&text, j, NULL) == 0 &&
		    remote__send(c, VG_WIRE_ERROR, text.data, text.len) != 0)
			vg_log_debug("no room for the ERROR frame to %s", c->addr);
		REMOTE__COUNT(r, refused, 1);
	}
	c->state = REMOTE__CLOSING;
	vg_buf_free(&text);
	json_decref(j);
}

/* ---------------------------------------------------------------- connections */

/* The peer's address as text; an IPv4-mapped IPv6 address as IPv4. */
static void peer_addr(const struct sockaddr_storage *ss, char out[REMOTE_ADDR_MAX])
{
	const void *a = NULL;
	int fam = ss->ss_family;

	if (fam == AF_INET) {
		a = &((const struct sockaddr_in *)ss)->sin_addr;
	} else if (fam == AF_INET6) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)ss)->sin6_addr;
		a = a6;
		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			a = &a6->s6_addr[12];
			fam = AF_INET;
		}
	}
	if (a == NULL || inet_ntop(fam, a, out, REMOTE_ADDR_MAX) == NULL)
		vg_strlcpy(out, "unknown", REMOTE_ADDR_MAX);
}

/* <allowed-ips>/<denied-ips>: a denied network wins unless an allowed one matches too. */
static bool addr_allowed(const struct mgr_remote *conf, const char *addr)
{
	struct vg_ipaddr ip;
	bool denied = false;

	if (conf == NULL || conf->ndenied == 0 || vg_netaddr_parse_ip(addr, &ip) != 0)
		return true;
	for (size_t i = 0; i < conf->ndenied && !denied; i++)
		denied = vg_cidr_match(&conf->denied[i], &ip);
	for (size_t i = 0; i < conf->nallowed && denied; i++)
		denied = !vg_cidr_match(&conf->allowed[i], &ip);
	return !denied;
}

static void conn_free(struct remote *r, struct remote__conn *c)
{
	remote__session_closed(r, c);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		r->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	r->nconns--;
	epoll_ctl(r->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	if (c->ssl != NULL && c->state != REMOTE__HANDSHAKE)
		SSL_shutdown(c->ssl); /* close_notify, best effort: no waiting */
	SSL_free(c->ssl);
	ERR_clear_error();
	close(c->fd);
	vg_buf_free(&c->in);
	vg_buf_free(&c->out);
	vg_free(c);
	pthread_mutex_lock(&r->mu);
	r->stats.open--;
	pthread_mutex_unlock(&r->mu);
}

static void conn_accept(struct remote *r, const struct remote__listener *l)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char addr[REMOTE_ADDR_MAX];
	int fd = accept4(l->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			vg_log_warn("accept on port %u: %s", l->port, strerror(errno));
		return;
	}
	peer_addr(&ss, addr);
	if (r->nconns >= REMOTE_MAX_CONNS || !addr_allowed(l->conf, addr)) {
		vg_log_warn("connection from %s to port %u refused: %s", addr, l->port,
			    r->nconns >= REMOTE_MAX_CONNS ? "too many connections"
							  : "address in <denied-ips>");
		REMOTE__COUNT(r, refused, 1);
		close(fd);
		return;
	}
	struct remote__conn *c = vg_xcalloc(1, sizeof(*c));
	c->fd = fd;
	c->kind = l->kind;
	vg_strlcpy(c->addr, addr, sizeof(c->addr));
	c->ssl = SSL_new(l->kind == REMOTE__EVENTS ? r->ctx_events : r->ctx_enroll);
	c->deadline_ms = remote__now_ms() + r->hello_ms;
	c->last_rx_ms = remote__now_ms();
	c->tokens = r->events_per_second;
	c->tokens_ms = c->last_rx_ms;
	vg_buf_init(&c->out, REMOTE_OUT_MAX);
	vg_buf_init(&c->in, 0);
	c->epoll_mask = EPOLLIN;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
	if (c->ssl == NULL || SSL_set_fd(c->ssl, fd) != 1 ||
	    epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		vg_log_error("cannot set up the connection from %s", addr);
		SSL_free(c->ssl);
		ERR_clear_error();
		close(fd);
		vg_free(c);
		return;
	}
	SSL_set_accept_state(c->ssl);
	SSL_set_mode(c->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	c->next = r->conns;
	if (r->conns != NULL)
		r->conns->prev = c;
	r->conns = c;
	r->nconns++;
	pthread_mutex_lock(&r->mu);
	r->stats.connections++;
	r->stats.open++;
	pthread_mutex_unlock(&r->mu);
	vg_log_debug("connection from %s on port %u", addr, l->port);
}

/* Whether c must not read now (queue full, over its rate, closing). */
static bool conn_paused(const struct remote *r, const struct remote__conn *c)
{
	if (c->state == REMOTE__CLOSING)
		return true;
	return c->queue_full || c->nacks == REMOTE_ACKS_MAX ||
	       (r->events_per_second != 0 && c->tokens <= 0);
}

/* Log why OpenSSL failed (first reason) and mark c dead. */
static void conn_ssl_fail(struct remote *r, struct remote__conn *c, const char *what, int ret)
{
	struct vg_err e = VG_ERR_INIT;
	int code = SSL_get_error(c->ssl, ret);

	if (code == SSL_ERROR_ZERO_RETURN || (code == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)) {
		vg_log_debug("%s closed the connection (%s)", c->addr, what);
		ERR_clear_error();
	} else {
		vg_tls_err(&e, VG_EPERM, "%s", what);
		vg_log_warn("TLS %s from %s failed: %s", what, c->addr, e.msg);
		if (c->state == REMOTE__HANDSHAKE)
			REMOTE__COUNT(r, refused, 1);
	}
	c->state = REMOTE__CLOSING;
	c->out_off = c->out.len; /* nothing more can be sent */
}

/* Send what is queued; false when c died. */
static bool conn_flush(struct remote *r, struct remote__conn *c, bool *want_write)
{
	*want_write = false;
	while (c->out_off < c->out.len) {
		int n = SSL_write(c->ssl, c->out.data + c->out_off,
				  (int)VG_MIN(c->out.len - c->out_off, (size_t)INT32_MAX));
		if (n > 0) {
			c->out_off += (size_t)n;
			continue;
		}
		int code = SSL_get_error(c->ssl, n);
		if (code == SSL_ERROR_WANT_WRITE || code == SSL_ERROR_WANT_READ) {
			*want_write = code == SSL_ERROR_WANT_WRITE;
			return true;
		}
		conn_ssl_fail(r, c, "write", n);
		return false;
	}
	vg_buf_reset(&c->out);
	c->out_off = 0;
	if (c->out.cap > REMOTE_KEEP_BUF) {
		vg_buf_free(&c->out);
		vg_buf_init(&c->out, REMOTE_OUT_MAX);
	}
	return true;
}

/* Start the next frame. */
static void frame_reset(struct remote__conn *c)
{
	c->hdr_have = 0;
	if (c->in.cap > REMOTE_KEEP_BUF)
		vg_buf_free(&c->in);
	vg_buf_reset(&c->in);
}

/* A whole header is in: check it against the caps, make room for the payload. */
static void frame_header(struct remote *r, struct remote__conn *c)
{
	struct vg_err e = VG_ERR_INIT;
	uint32_t max = c->kind == REMOTE__EVENTS ? r->max_frame : VG_WIRE_CONTROL_MAX;

	if (vg_wire_hdr_decode(c->hdr, max, &c->h, &e) != 0) {
		remote__refuse(r, c, e.msg);
		return;
	}
	if (c->h.type != VG_WIRE_BATCH && c->h.len > VG_WIRE_CONTROL_MAX) {
		char msg[128];
		snprintf(msg, sizeof(msg), "%s frame of %u bytes is over the limit of %u",
			 vg_wire_type_name(c->h.type), c->h.len, VG_WIRE_CONTROL_MAX);
		remote__refuse(r, c, msg);
		return;
	}
	vg_buf_reset(&c->in);
	c->in.max = c->h.len;
}

static void frame_dispatch(struct remote *r, struct remote__conn *c)
{
	c->last_rx_ms = remote__now_ms();
	if (c->kind == REMOTE__ENROLL)
		remote__enroll(r, c);
	else
		remote__session_frame(r, c);
	if (c->state != REMOTE__CLOSING)
		frame_reset(c);
}

/* Read and dispatch frames until OpenSSL has no more bytes or c pauses. */
static void conn_pump(struct remote *r, struct remote__conn *c)
{
	uint8_t chunk[REMOTE_READ_CHUNK];

	c->read_wants_write = false;
	while (!conn_paused(r, c)) {
		bool in_hdr = c->hdr_have < VG_WIRE_HDR_LEN;
		if (!in_hdr && c->in.len == c->h.len) {
			frame_dispatch(r, c);
			continue;
		}
		size_t need = in_hdr ? VG_WIRE_HDR_LEN - c->hdr_have : c->h.len - c->in.len;
		uint8_t *dst = in_hdr ? c->hdr + c->hdr_have : chunk;
		int n = SSL_read(c->ssl, dst, (int)VG_MIN(need, sizeof(chunk)));
		if (n <= 0) {
			int code = SSL_get_error(c->ssl, n);
			if (code == SSL_ERROR_WANT_READ)
				return;
			if (code == SSL_ERROR_WANT_WRITE) {
				c->read_wants_write = true;
				return;
			}
			conn_ssl_fail(r, c, "read", n);
			return;
		}
		if (in_hdr) {
			c->hdr_have += (size_t)n;
			if (c->hdr_have == VG_WIRE_HDR_LEN)
				frame_header(r, c);
		} else if (vg_buf_append(&c->in, chunk, (size_t)n) != 0) {
			remote__refuse(r, c, "frame longer than its header said");
		}
	}
}

static void conn_handshake(struct remote *r, struct remote__conn *c, bool *want_write)
{
	int ret = SSL_accept(c->ssl);

	*want_write = false;
	if (ret == 1) {
		c->state = REMOTE__HELLO;
		if (c->kind == REMOTE__EVENTS)
			remote__session_accepted(r, c);
		return;
	}
	int code = SSL_get_error(c->ssl, ret);
	if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE) {
		*want_write = code == SSL_ERROR_WANT_WRITE;
		return;
	}
	conn_ssl_fail(r, c, "handshake", ret);
}

/* Make epoll watch what c needs now. */
static void conn_watch(struct remote *r, struct remote__conn *c, bool want_write)
{
	uint32_t mask = 0;

	if (c->state == REMOTE__HANDSHAKE)
		mask = want_write ? EPOLLOUT : EPOLLIN;
	else {
		if (!conn_paused(r, c))
			mask |= EPOLLIN;
		if (want_write || c->read_wants_write || c->out_off < c->out.len)
			mask |= EPOLLOUT;
	}
	if (mask != c->epoll_mask) {
		struct epoll_event ev = {.events = mask, .data.ptr = c};
		epoll_ctl(r->epfd, EPOLL_CTL_MOD, c->fd, &ev);
		c->epoll_mask = mask;
	}
}

/* Everything c can do now; frees it when it is done. */
static void conn_run(struct remote *r, struct remote__conn *c)
{
	bool want_write = false;

	if (c->state == REMOTE__HANDSHAKE)
		conn_handshake(r, c, &want_write);
	if (c->state != REMOTE__HANDSHAKE) {
		if (conn_flush(r, c, &want_write))
			conn_pump(r, c);
		/* the frames just handled may have answered */
		if (c->out_off < c->out.len && !want_write)
			conn_flush(r, c, &want_write);
	}
	if (c->state == REMOTE__CLOSING && c->out_off >= c->out.len) {
		conn_free(r, c);
		return;
	}
	conn_watch(r, c, want_write);
}

/*
 * An epoll event on c. A hang-up or error is reported even when c is not
 * read (paused): close it then, or level-triggered epoll would spin. A
 * batch it held was not acknowledged: the agent sends it again.
 */
static void conn_event(struct remote *r, struct remote__conn *c, uint32_t events)
{
	if ((events & (EPOLLERR | EPOLLHUP)) != 0 && conn_paused(r, c)) {
		vg_log_debug("%s hung up", c->addr);
		c->state = REMOTE__CLOSING;
		c->out_off = c->out.len;
	}
	conn_run(r, c);
}

/* ---------------------------------------------------------------- timers */

static void timers(struct remote *r, int64_t now)
{
	struct remote__conn *next;

	for (struct remote__conn *c = r->conns; c != NULL; c = next) {
		next = c->next;
		bool run = false;
		if (c->state == REMOTE__HANDSHAKE && now >= c->deadline_ms) {
			vg_log_warn("connection from %s: no TLS handshake within %d ms", c->addr,
				    r->hello_ms);
			REMOTE__COUNT(r, refused, 1);
			conn_free(r, c);
			continue;
		}
		if (c->state == REMOTE__HELLO && now >= c->deadline_ms) {
			remote__refuse(r, c,
				       c->kind == REMOTE__EVENTS ? "no HELLO in time"
								 : "no ENROLL in time");
			run = true;
		} else if (c->state == REMOTE__READY && now - c->last_rx_ms >= r->idle_ms &&
			   !c->queue_full) {
			vg_log_info("agent %s (%s): nothing received for %d s, closing", c->id,
				    c->addr, r->idle_ms / 1000);
			c->state = REMOTE__CLOSING;
			run = true;
		}
		if (c->queue_full && remote__session_retry(r, c))
			run = true;
		if (c->state == REMOTE__READY && remote__session_refill(r, c, now))
			run = true;
		if (run)
			conn_run(r, c);
	}
	if (now >= r->next_flush_ms) {
		r->next_flush_ms = now + REMOTE_FLUSH_MS;
		remote__session_flush(r);
		for (struct remote__conn *c = r->conns; c != NULL; c = next) {
			next = c->next;
			if (c->state == REMOTE__CLOSING)
				conn_run(r, c);
		}
	}
}

static bool any_paused(const struct remote *r)
{
	for (const struct remote__conn *c = r->conns; c != NULL; c = c->next)
		if (c->state == REMOTE__READY && conn_paused(r, c))
			return true;
	return false;
}

/*
 * Analysis committed: send the ACKs now due, and offer the batches held by
 * a full FIFO the room the release made.
 */
static void on_durable(struct remote *r)
{
	struct remote__conn *next;

	mgr_ingest_fd_clear(r->ingest);
	for (struct remote__conn *c = r->conns; c != NULL; c = next) {
		next = c->next;
		if (c->state != REMOTE__READY)
			continue;
		bool run = remote__session_acks(r, c);
		if (c->queue_full && remote__session_retry(r, c))
			run = true;
		if (run)
			conn_run(r, c);
	}
}

/* Commands were queued: send those whose agent is here. */
static void on_wake(struct remote *r)
{
	uint64_t v;
	struct remote__conn *next;

	if (read(r->wakefd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		vg_log_warn("eventfd: %s", strerror(errno));
	for (struct remote__conn *c = r->conns; c != NULL; c = next) {
		next = c->next;
		if (c->state == REMOTE__READY) {
			remote__session_commands(r, c);
			conn_run(r, c);
		}
	}
}

static void *loop(void *arg)
{
	struct remote *r = arg;
	struct epoll_event evs[REMOTE_EPOLL_EVENTS];

	r->next_flush_ms = remote__now_ms() + REMOTE_FLUSH_MS;
	while (!atomic_load(&r->stop)) {
		int timeout = any_paused(r) ? REMOTE_RETRY_MS : REMOTE_FLUSH_MS;
		int n = epoll_wait(r->epfd, evs, REMOTE_EPOLL_EVENTS, timeout);
		if (n < 0 && errno != EINTR) {
			vg_log_error("epoll_wait: %s", strerror(errno));
			break;
		}
		bool woken = false, durable = false;
		for (int i = 0; i < n; i++) {
			uintptr_t tag = (uintptr_t)evs[i].data.ptr;
			if (tag == TAG_WAKE)
				woken = true; /* after the batch: it may free any connection */
			else if (tag == TAG_DURABLE)
				durable = true;
			else if (tag >= TAG_LISTENER && tag < TAG_LISTENER + r->nlisteners)
				conn_accept(r, &r->listeners[tag - TAG_LISTENER]);
			else
				conn_event(r, evs[i].data.ptr, evs[i].events);
		}
		if (durable)
			on_durable(r);
		if (woken)
			on_wake(r);
		timers(r, remote__now_ms());
	}
	remote__session_flush(r);
	while (r->conns != NULL)
		conn_free(r, r->conns);
	return NULL;
}

/* ---------------------------------------------------------------- set-up */

static int listen_on(struct remote *r, enum remote__kind kind, const char *bind_addr, bool ipv6,
		     uint16_t port, const struct mgr_remote *conf, struct vg_err *err)
{
	struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV,
				 .ai_socktype = SOCK_STREAM};
	struct addrinfo *ai = NULL;
	const char *host =
	    bind_addr != NULL && bind_addr[0] != '\0' ? bind_addr : (ipv6 ? "::" : "0.0.0.0");
	char portstr[8];
	int one = 1;
	int fd = -1;
	int rc = 0;

	snprintf(portstr, sizeof(portstr), "%u", port);
	if (getaddrinfo(host, portstr, &hints, &ai) != 0)
		return vg_err_set(err, VG_EPARSE, "cannot listen on %s port %u: bad address", host,
				  port);
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 1024) != 0) {
		rc = vg_err_errno(err, errno, "cannot listen on %s port %u", host, port);
		goto out;
	}
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
		rc = vg_err_errno(err, errno, "getsockname on port %u", port);
		goto out;
	}
	struct remote__listener *l = &r->listeners[r->nlisteners];
	l->port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
						: ((struct sockaddr_in6 *)&ss)->sin6_port);
	struct epoll_event ev = {.events = EPOLLIN,
				 .data.ptr = (void *)(uintptr_t)(TAG_LISTENER + r->nlisteners)};
	if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		rc = vg_err_errno(err, errno, "epoll on port %u", port);
		goto out;
	}
	l->fd = fd;
	l->kind = kind;
	l->conf = conf;
	r->nlisteners++;
	fd = -1; /* transferred */
	vg_log_info("listening for %s on %s port %u",
		    kind == REMOTE__EVENTS ? "agents" : "enrollment", host, l->port);
out:
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return rc;
}

/* Deep copy of the <remote> blocks (the caller's configuration may be reloaded). */
static void copy_remotes(struct remote *r, const struct mgr_remote_conf *rc)
{
	r->remotes = vg_xcalloc(rc->nremotes > 0 ? rc->nremotes : 1, sizeof(*r->remotes));
	r->nremotes = rc->nremotes;
	for (size_t i = 0; i < rc->nremotes; i++) {
		const struct mgr_remote *s = &rc->remotes[i];
		struct mgr_remote *d = &r->remotes[i];
		*d = *s;
		d->allowed = vg_xcalloc(s->nallowed + 1, sizeof(*d->allowed));
		d->denied = vg_xcalloc(s->ndenied + 1, sizeof(*d->denied));
		if (s->nallowed > 0)
			memcpy(d->allowed, s->allowed, s->nallowed * sizeof(*d->allowed));
		if (s->ndenied > 0)
			memcpy(d->denied, s->denied, s->ndenied * sizeof(*d->denied));
	}
}

static int open_tls(struct remote *r, const struct remote_opts *o, struct vg_err *err)
{
	int rc = vg_tls_server_ctx(o->server_cert, o->server_key, vg_pki_ca_cert(o->ca),
				   &r->ctx_events, err);
	if (rc == 0 && !r->auth.disabled && r->auth.remote_enrollment)
		rc = vg_tls_server_ctx(o->server_cert, o->server_key, NULL, &r->ctx_enroll, err);
	if (rc == 0)
		rc = vg_pki_ca_cert_pem(o->ca, &r->ca_pem, err);
	return rc;
}

static int open_listeners(struct remote *r, const struct remote_opts *o, struct vg_err *err)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < r->nremotes; i++)
		rc = listen_on(r, REMOTE__EVENTS, r->remotes[i].bind, r->remotes[i].ipv6,
			       r->remotes[i].port, &r->remotes[i], err);
	if (rc == 0 && r->ctx_enroll != NULL)
		rc = listen_on(r, REMOTE__ENROLL, o->auth_bind, r->auth.ipv6, r->auth.port, NULL,
			       err);
	return rc;
}

int remote_open(const struct remote_opts *o, struct remote **out, struct vg_err *err)
{
	struct remote *r = vg_xcalloc(1, sizeof(*r));
	int rc = 0;

	*out = NULL;
	pthread_mutex_init(&r->mu, NULL);
	r->reg = o->registry; /* transferred */
	r->epfd = r->wakefd = -1;
	r->home = vg_xstrdup(o->home);
	r->ca = o->ca;
	r->queue = o->queue;
	r->ingest = o->ingest;
	copy_remotes(r, o->remote);
	r->auth = *o->auth;
	r->auth.ssl_manager_cert = r->auth.ssl_manager_key = r->auth.ssl_agent_ca = NULL;
	if (o->password != NULL) {
		r->password = vg_xmalloc(o->password_len + 1);
		memcpy(r->password, o->password, o->password_len);
		r->password[o->password_len] = '\0';
		r->password_len = o->password_len;
	}
	r->max_frame = o->max_frame != 0 ? o->max_frame : VG_WIRE_FRAME_MAX;
	r->max_inflated = o->max_inflated != 0 ? o->max_inflated : VG_WIRE_INFLATED_MAX;
	r->max_events = o->max_events != 0 ? o->max_events : VG_WIRE_EVENTS_MAX;
	r->hello_ms = o->hello_ms > 0 ? o->hello_ms : REMOTE_HELLO_MS;
	r->idle_ms = o->idle_ms > 0 ? o->idle_ms : REMOTE_IDLE_MS;
	r->events_per_second = r->nremotes > 0 ? r->remotes[0].events_per_second : 0;
	vg_buf_init(&r->scratch, r->max_inflated);
	r->on_command_ack = o->on_command_ack;
	r->ack_ctx = o->ack_ctx;
	if (r->nremotes == 0) {
		rc = vg_err_set(err, VG_EPARSE, "no <remote> listener configured");
		goto out;
	}
	if (r->ingest == NULL || r->queue == NULL) {
		rc = vg_err_set(err, VG_EINTERNAL, "the agent channel needs its queue and FIFO");
		goto out;
	}
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	r->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (r->epfd < 0 || r->wakefd < 0) {
		rc = vg_err_errno(err, errno, "cannot create the agent channel's event loop");
		goto out;
	}
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = (void *)(uintptr_t)TAG_WAKE};
	struct epoll_event dev = {.events = EPOLLIN, .data.ptr = (void *)(uintptr_t)TAG_DURABLE};
	if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, r->wakefd, &ev) != 0 ||
	    epoll_ctl(r->epfd, EPOLL_CTL_ADD, mgr_ingest_fd(r->ingest), &dev) != 0) {
		rc = vg_err_errno(err, errno, "cannot watch the agent channel's eventfd");
		goto out;
	}
	rc = open_tls(r, o, err);
	if (rc == 0)
		rc = open_listeners(r, o, err);
out:
	if (rc != 0) {
		remote_close(r);
		return rc;
	}
	*out = r; /* transferred */
	return 0;
}

int remote_start(struct remote *r, struct vg_err *err)
{
	int e;

	atomic_store(&r->stop, false);
	e = pthread_create(&r->thread, NULL, loop, r);
	if (e != 0)
		return vg_err_errno(err, e, "cannot start the agent channel's thread");
	r->running = true;
	return 0;
}

void remote_stop(struct remote *r)
{
	uint64_t one = 1;

	if (r == NULL || !r->running)
		return;
	atomic_store(&r->stop, true);
	if (write(r->wakefd, &one, sizeof(one)) < 0)
		vg_log_warn("eventfd: %s", strerror(errno));
	pthread_join(r->thread, NULL);
	r->running = false;
}

void remote_close(struct remote *r)
{
	if (r == NULL)
		return;
	remote_stop(r);
	while (r->conns != NULL) /* never started: none; stopped: freed by the loop */
		conn_free(r, r->conns);
	for (size_t i = 0; i < r->nlisteners; i++)
		close(r->listeners[i].fd);
	if (r->epfd >= 0)
		close(r->epfd);
	if (r->wakefd >= 0)
		close(r->wakefd);
	SSL_CTX_free(r->ctx_events);
	SSL_CTX_free(r->ctx_enroll);
	for (struct remote__cmd *c = r->cmds, *n; c != NULL; c = n) {
		n = c->next;
		vg_free(c->json);
		vg_free(c);
	}
	for (size_t i = 0; i < r->nremotes; i++) {
		vg_free(r->remotes[i].allowed);
		vg_free(r->remotes[i].denied);
	}
	vg_free(r->remotes);
	reg_close(r->reg);
	if (r->password != NULL)
		vg_freezero(r->password, r->password_len + 1);
	vg_free(r->ca_pem);
	vg_free(r->home);
	vg_buf_free(&r->scratch);
	pthread_mutex_destroy(&r->mu);
	vg_free(r);
}

uint16_t remote_port(const struct remote *r, enum remote_which which)
{
	enum remote__kind k = which == REMOTE_EVENTS ? REMOTE__EVENTS : REMOTE__ENROLL;

	for (size_t i = 0; i < r->nlisteners; i++)
		if (r->listeners[i].kind == k)
			return r->listeners[i].port;
	return 0;
}

void remote_stats(struct remote *r, struct remote_stats *out)
{
	pthread_mutex_lock(&r->mu);
	*out = r->stats;
	pthread_mutex_unlock(&r->mu);
}

/* ---------------------------------------------------------------- commands */

static struct remote__cmd *cmd_find(struct remote *r, uint64_t id)
{
	for (struct remote__cmd *c = r->cmds; c != NULL; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

static int cmd_queue(struct remote *r, const char *agent_id, uint64_t id, struct vg_buf *text,
		     struct vg_err *err)
{
	struct remote__cmd *c, **tail = &r->cmds;
	size_t waiting = 0;

	if (cmd_find(r, id) != NULL)
		return 0; /* queued already: the caller re-pushes after a restart */
	for (c = r->cmds; c != NULL; c = c->next)
		waiting += strcmp(c->agent, agent_id) == 0;
	if (waiting >= REMOTE_COMMANDS_MAX)
		return vg_err_set(err, VG_ETOOBIG, "agent %s has %zu commands waiting", agent_id,
				  waiting);
	c = vg_xcalloc(1, sizeof(*c));
	vg_strlcpy(c->agent, agent_id, sizeof(c->agent));
	c->id = id;
	c->json = vg_buf_take(text);
	while (*tail != NULL)
		tail = &(*tail)->next;
	*tail = c; /* transferred; in order */
	return 0;
}

int remote_command(struct remote *r, const char *agent_id, uint64_t id, const char *json,
		   struct vg_err *err)
{
	json_error_t je;
	json_t *j = json_loads(json, JSON_REJECT_DUPLICATES, &je);
	struct vg_buf text = VG_BUF_INIT(VG_WIRE_CONTROL_MAX);
	int rc;

	if (!json_is_object(j) || strlen(agent_id) >= REG_ID_TEXT || id == 0) {
		rc = vg_err_set(err, VG_EPARSE, "command for agent %.24s: not a JSON object",
				agent_id);
		goto out;
	}
	json_object_set_new(j, "id", json_integer((json_int_t)id));
	if ((rc = vg_json_dump(&text, j, err)) != 0)
		goto out;
	pthread_mutex_lock(&r->mu);
	rc = cmd_queue(r, agent_id, id, &text, err);
	pthread_mutex_unlock(&r->mu);
	if (rc == 0) {
		uint64_t one = 1;
		if (write(r->wakefd, &one, sizeof(one)) < 0)
			vg_log_warn("eventfd: %s", strerror(errno));
	}
out:
	vg_buf_free(&text);
	json_decref(j);
	return rc;
}

bool remote_command_cancel(struct remote *r, uint64_t id)
{
	bool cancelled = false;

	pthread_mutex_lock(&r->mu);
	for (struct remote__cmd **p = &r->cmds; *p != NULL; p = &(*p)->next) {
		struct remote__cmd *c = *p;
		if (c->id != id)
			continue;
		if (c->sent == NULL) {
			*p = c->next;
			vg_free(c->json);
			vg_free(c);
			cancelled = true;
		}
		break;
	}
	pthread_mutex_unlock(&r->mu);
	return cancelled;
}
