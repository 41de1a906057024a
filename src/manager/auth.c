/*
 * auth.c - Sessions, API tokens and the login rate limiter (see auth.h).
 *
 * Two maps under one mutex: the live credentials, keyed by the SHA-256 of
 * their id (the id itself is returned to the client and forgotten), and the
 * clients that failed to log in, keyed by address. Both are capped; a full
 * map first drops what has expired, then the oldest entry.
 *
 * The password check (scrypt, tens of milliseconds) runs outside the mutex;
 * while it runs the client's entry counts the attempt as in flight, which
 * both keeps the entry from being evicted and counts against the limit.
 */
#define OPENSSL_NO_DEPRECATED
#include "manager/auth.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "lib/hmap.h"
#include "lib/mem.h"
#include "lib/netaddr.h"
#include "lib/str.h"

#define AU_RAW_LEN 32 /* random bytes of an id */
#define AU_DIGEST_LEN 32
#define AU_CSRF_LABEL "vigie csrf v1:" /* a different hash than the stored one */

/* One live session or token; only the digest of its id is kept. */
struct au_cred {
	unsigned char digest[AU_DIGEST_LEN];
	enum auth_kind kind;
	char user[USERS_NAME_MAX + 1];
	uint64_t stamp; /* users_stamp of user when issued: a new password ends it */
	time_t created, last_used;
	uint64_t seq; /* order of creation, to evict the oldest */
};

/* A client address that failed to log in recently. */
struct au_client {
	char addr[AUTH_CLIENT_MAX + 1];
	unsigned fails;       /* within the window that started at window_start */
	unsigned inflight;    /* logins being checked now */
	time_t window_start;  /* the first failure counted */
	time_t blocked_until; /* 0: not blocked */
};

struct auth {
	pthread_mutex_t mu;
	pthread_cond_t check_free; /* a password check ended */
	unsigned checking;         /* password checks running (each ~32 MiB) */
	struct users *users;
	time_t (*now)(void *ctx);
	void *now_ctx;
	size_t max_creds;
	uint64_t seq;
	struct vg_hmap *creds;   /* digest -> struct au_cred */
	struct vg_hmap *clients; /* addr -> struct au_client */
};

/* ------------------------------------------------------------------------ */
/* Ids                                                                       */

static time_t au_monotonic(void *ctx)
{
	struct timespec ts;
	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* base64url without padding of AU_RAW_LEN bytes: AUTH_ID_LEN characters. */
static void au_b64url(const unsigned char raw[AU_RAW_LEN], char out[AUTH_ID_TEXT])
{
	unsigned char enc[(AU_RAW_LEN + 2) / 3 * 4 + 1];

	EVP_EncodeBlock(enc, raw, AU_RAW_LEN);
	for (size_t i = 0; i < AUTH_ID_LEN; i++)
		out[i] = enc[i] == '+' ? '-' : enc[i] == '/' ? '_' : (char)enc[i];
	out[AUTH_ID_LEN] = '\0';
	OPENSSL_cleanse(enc, sizeof(enc));
}

/* Whether s looks like an id we issue (before any lookup or hash). */
static bool au_id_wellformed(const char *s)
{
	if (s == NULL)
		return false;
	size_t i = 0;
	for (; s[i] != '\0' && i <= AUTH_ID_LEN; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
	}
	return i == AUTH_ID_LEN;
}

static void au_sha256(const void *a, size_t alen, const void *b, size_t blen,
		      unsigned char out[AU_DIGEST_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned n = 0;

	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, a, alen) != 1 || EVP_DigestUpdate(ctx, b, blen) != 1 ||
	    EVP_DigestFinal_ex(ctx, out, &n) != 1) {
		/* never with SHA-256 from the default provider: fail closed */
		RAND_bytes(out, AU_DIGEST_LEN);
		ERR_clear_error();
	}
	EVP_MD_CTX_free(ctx);
}

/* The key of id in the map. */
static void au_digest(const char *id, unsigned char out[AU_DIGEST_LEN])
{
	au_sha256("", 0, id, AUTH_ID_LEN, out);
}

/* The CSRF token of session id. */
static void au_csrf(const char *id, char out[AUTH_ID_TEXT])
{
	unsigned char d[AU_DIGEST_LEN];

	au_sha256(AU_CSRF_LABEL, strlen(AU_CSRF_LABEL), id, AUTH_ID_LEN, d);
	au_b64url(d, out);
	OPENSSL_cleanse(d, sizeof(d));
}

/* ------------------------------------------------------------------------ */
/* Credentials                                                               */

static bool au_expired(const struct au_cred *c, time_t now)
{
	if (c->kind == AUTH_TOKEN)
		return now - c->created >= AUTH_TOKEN_TTL_S;
	return now - c->last_used >= AUTH_SESSION_IDLE_S || now - c->created >= AUTH_SESSION_MAX_S;
}

static void au_cred_free(void *p)
{
	vg_freezero(p, sizeof(struct au_cred));
}

struct au_sweep {
	time_t now;
	struct au_cred **dead; /* expired, to delete after the walk */
	size_t n_dead;
	struct au_cred *oldest;
	size_t live;
};

static void au_sweep_one(void *ctx, const void *key, size_t len, void *val)
{
	struct au_sweep *s = ctx;
	struct au_cred *c = val;
	(void)key;
	(void)len;

	if (au_expired(c, s->now)) {
		if (s->dead != NULL)
			s->dead[s->n_dead++] = c;
		return;
	}
	s->live++;
	if (s->oldest == NULL || c->seq < s->oldest->seq)
		s->oldest = c;
}

/* Under a->mu: drop the expired credentials, and the oldest live ones while
 * there are at least keep_below; returns how many are live. */
static size_t au_sweep(struct auth *a, time_t now, size_t keep_below)
{
	struct au_sweep s = {now, NULL, 0, NULL, 0};
	size_t total = vg_hmap_count(a->creds);

	s.dead = vg_xcalloc(total + 1, sizeof(*s.dead));
	vg_hmap_foreach(a->creds, au_sweep_one, &s);
	for (size_t i = 0; i < s.n_dead; i++)
		au_cred_free(vg_hmap_del(a->creds, s.dead[i]->digest, AU_DIGEST_LEN));
	vg_free(s.dead);
	while (keep_below > 0 && s.live >= keep_below) {
		s = (struct au_sweep){now, NULL, 0, NULL, 0};
		vg_hmap_foreach(a->creds, au_sweep_one, &s);
		if (s.oldest == NULL)
			break;
		au_cred_free(vg_hmap_del(a->creds, s.oldest->digest, AU_DIGEST_LEN));
		s.live--;
	}
	return s.live;
}

/* Under a->mu: a new credential for user (whose password has stamp); its id into id. */
static int au_issue(struct auth *a, const char *user, uint64_t stamp, enum auth_kind kind,
		    time_t now, char id[AUTH_ID_TEXT], struct vg_err *err)
{
	unsigned char raw[AU_RAW_LEN];

	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		ERR_clear_error();
		return vg_err_set(err, VG_EINTERNAL, "no random bytes for a session id");
	}
	au_b64url(raw, id);
	OPENSSL_cleanse(raw, sizeof(raw));
	if (vg_hmap_count(a->creds) >= a->max_creds)
		au_sweep(a, now, a->max_creds);
	struct au_cred *c = vg_xcalloc(1, sizeof(*c));
	au_digest(id, c->digest);
	c->kind = kind;
	vg_strlcpy(c->user, user, sizeof(c->user));
	c->stamp = stamp;
	c->created = c->last_used = now;
	c->seq = a->seq++;
	au_cred_free(vg_hmap_put(a->creds, c->digest, AU_DIGEST_LEN, c));
	return 0;
}

/*
 * The live credential of kind for id, or NULL. An expired one is dropped,
 * and so is one whose user is gone or has a new password (users_stamp).
 */
static struct au_cred *au_find(struct auth *a, const char *id, enum auth_kind kind, time_t now)
{
	unsigned char d[AU_DIGEST_LEN];
	uint64_t stamp = 0;

	au_digest(id, d);
	struct au_cred *c = vg_hmap_get(a->creds, d, sizeof(d));
	if (c != NULL && (au_expired(c, now) || users_stamp(a->users, c->user, &stamp) != 0 ||
			  stamp != c->stamp)) {
		au_cred_free(vg_hmap_del(a->creds, d, sizeof(d)));
		c = NULL;
	}
	return c != NULL && c->kind == kind ? c : NULL;
}

/* ------------------------------------------------------------------------ */
/* Rate limiter                                                              */

/* A client entry with nothing to remember can go. */
static bool au_client_idle(const struct au_client *c, time_t now)
{
	return c->inflight == 0 && c->blocked_until <= now &&
	       (c->fails == 0 || now - c->window_start >= AUTH_FAIL_WINDOW_S);
}

struct au_client_sweep {
	time_t now;
	struct au_client **dead;
	size_t n_dead;
	struct au_client *oldest; /* the oldest window not in flight */
};

static void au_client_sweep_one(void *ctx, const void *key, size_t len, void *val)
{
	struct au_client_sweep *s = ctx;
	struct au_client *c = val;
	(void)key;
	(void)len;

	if (au_client_idle(c, s->now))
		s->dead[s->n_dead++] = c;
	else if (c->inflight == 0 &&
		 (s->oldest == NULL || c->window_start < s->oldest->window_start))
		s->oldest = c;
}

static void au_client_del(struct auth *a, struct au_client *c)
{
	vg_free(vg_hmap_del(a->clients, c->addr, strlen(c->addr)));
}

/* Under a->mu: make room for one more client (idle ones first). */
static bool au_client_room(struct auth *a, time_t now)
{
	struct au_client_sweep s = {now, NULL, 0, NULL};

	if (vg_hmap_count(a->clients) < AUTH_MAX_CLIENTS)
		return true;
	s.dead = vg_xcalloc(vg_hmap_count(a->clients), sizeof(*s.dead));
	vg_hmap_foreach(a->clients, au_client_sweep_one, &s);
	for (size_t i = 0; i < s.n_dead; i++)
		au_client_del(a, s.dead[i]);
	if (s.n_dead == 0 && s.oldest != NULL)
		au_client_del(a, s.oldest);
	vg_free(s.dead);
	return vg_hmap_count(a->clients) < AUTH_MAX_CLIENTS;
}

/*
 * The limiter's key for a client address: an IPv6 client by its /64, as a
 * single host is commonly given a whole /64 and may take a new address in
 * it for every guess; IPv4 (also IPv4-mapped, as a dual-stack listener
 * reports it) and anything unparsed by the address itself.
 */
static void au_client_key(const char *client, char key[AUTH_CLIENT_MAX + 1])
{
	static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	struct vg_cidr net = {.prefix = 64};

	vg_strlcpy(key, client, AUTH_CLIENT_MAX + 1);
	if (vg_netaddr_parse_ip(client, &net.ip) != 0 || net.ip.family != AF_INET6 ||
	    memcmp(net.ip.addr, v4mapped, sizeof(v4mapped)) == 0)
		return;
	memset(net.ip.addr + 8, 0, 8); /* the interface identifier */
	vg_cidr_format(&net, key, AUTH_CLIENT_MAX + 1);
}

/* Under a->mu: the entry of addr, created when absent (NULL: no room). */
static struct au_client *au_client_get(struct auth *a, const char *addr, time_t now)
{
	struct au_client *c = vg_hmap_get(a->clients, addr, strlen(addr));

	if (c != NULL || !au_client_room(a, now))
		return c;
	c = vg_xcalloc(1, sizeof(*c));
	vg_strlcpy(c->addr, addr, sizeof(c->addr));
	vg_hmap_put(a->clients, c->addr, strlen(c->addr), c);
	return c;
}

/*
 * Under a->mu: may addr try a password now? 0 (its attempt is then in
 * flight) or VG_ETOOBIG with the seconds to wait.
 */
static int au_limit_enter(struct auth *a, const char *addr, time_t now, unsigned *wait,
			  struct au_client **out)
{
	struct au_client *c = au_client_get(a, addr, now);

	*out = NULL;
	*wait = 1;
	if (c == NULL)
		return VG_ETOOBIG; /* every entry busy: a flood */
	if (c->blocked_until > now) {
		*wait = (unsigned)(c->blocked_until - now);
		return VG_ETOOBIG;
	}
	c->blocked_until = 0;
	if (c->fails > 0 && now - c->window_start >= AUTH_FAIL_WINDOW_S)
		c->fails = 0;
	if (c->fails + c->inflight >= AUTH_FAIL_MAX)
		return VG_ETOOBIG; /* the rest are being checked: wait for them */
	c->inflight++;
	*out = c;
	return 0;
}

/* Under a->mu: the attempt of c ended (ok or not). */
static void au_limit_leave(struct auth *a, struct au_client *c, bool ok, time_t now)
{
	c->inflight--;
	if (ok) {
		c->fails = 0;
	} else {
		if (c->fails == 0 || now - c->window_start >= AUTH_FAIL_WINDOW_S) {
			c->fails = 0;
			c->window_start = now;
		}
		if (++c->fails >= AUTH_FAIL_MAX) {
			c->blocked_until = now + AUTH_BLOCK_S;
			c->fails = 0;
		}
	}
	if (au_client_idle(c, now))
		au_client_del(a, c);
}

/* ------------------------------------------------------------------------ */
/* API                                                                       */

struct auth *auth_new(const struct auth_opts *o)
{
	struct auth *a = vg_xcalloc(1, sizeof(*a));

	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->check_free, NULL);
	a->users = o->users;
	a->now = o->now != NULL ? o->now : au_monotonic;
	a->now_ctx = o->now_ctx;
	a->max_creds = o->max_credentials != 0 ? o->max_credentials : AUTH_MAX_CREDENTIALS;
	a->creds = vg_hmap_new();
	a->clients = vg_hmap_new();
	return a;
}

void auth_free(struct auth *a)
{
	if (a == NULL)
		return;
	vg_hmap_free(a->creds, au_cred_free);
	vg_hmap_free(a->clients, vg_free);
	pthread_cond_destroy(&a->check_free);
	pthread_mutex_destroy(&a->mu);
	vg_free(a);
}

int auth_login(struct auth *a, const char *user, const char *password, const char *client,
	       enum auth_kind kind, char id[AUTH_ID_TEXT], char csrf[AUTH_ID_TEXT],
	       unsigned *retry_after, struct vg_err *err)
{
	char addr[AUTH_CLIENT_MAX + 1];
	struct au_client *c = NULL;
	unsigned wait = 0;
	uint64_t stamp = 0;
	int rc;

	id[0] = '\0';
	if (csrf != NULL)
		csrf[0] = '\0';
	if (retry_after != NULL)
		*retry_after = 0;
	au_client_key(client != NULL ? client : "", addr);
	if (user == NULL)
		user = "";

	pthread_mutex_lock(&a->mu);
	rc = au_limit_enter(a, addr, a->now(a->now_ctx), &wait, &c);
	pthread_mutex_unlock(&a->mu);
	if (rc != 0) {
		if (retry_after != NULL)
			*retry_after = wait;
		return vg_err_set(err, VG_ETOOBIG, "too many failed logins: retry in %u s", wait);
	}

	/* scrypt takes ~32 MiB a check: a few at a time, the others wait */
	pthread_mutex_lock(&a->mu);
	while (a->checking >= AUTH_CHECKS_MAX)
		pthread_cond_wait(&a->check_free, &a->mu);
	a->checking++;
	pthread_mutex_unlock(&a->mu);
	/* the stamp before the check: a password changed meanwhile ends the session */
	if (users_stamp(a->users, user, &stamp) != 0)
		stamp = 0; /* no such user: the check below fails */
	rc = users_check(a->users, user, password != NULL ? password : "", err);
	pthread_mutex_lock(&a->mu);
	a->checking--;
	pthread_cond_signal(&a->check_free);
	pthread_mutex_unlock(&a->mu);

	pthread_mutex_lock(&a->mu);
	time_t now = a->now(a->now_ctx);
	au_limit_leave(a, c, rc == 0, now);
	if (rc == 0)
		rc = au_issue(a, user, stamp, kind, now, id, err);
	pthread_mutex_unlock(&a->mu);
	if (rc == 0 && kind == AUTH_SESSION && csrf != NULL)
		au_csrf(id, csrf);
	return rc;
}

int auth_check_session(struct auth *a, const char *cookie, char user[USERS_NAME_MAX + 1],
		       char csrf[AUTH_ID_TEXT], struct vg_err *err)
{
	int rc = 0;

	if (user != NULL)
		user[0] = '\0';
	if (csrf != NULL)
		csrf[0] = '\0';
	if (!au_id_wellformed(cookie))
		return vg_err_set(err, VG_EPERM, "no valid session");
	pthread_mutex_lock(&a->mu);
	time_t now = a->now(a->now_ctx);
	struct au_cred *c = au_find(a, cookie, AUTH_SESSION, now);
	if (c == NULL) {
		rc = vg_err_set(err, VG_EPERM, "no valid session");
	} else {
		c->last_used = now;
		if (user != NULL)
			vg_strlcpy(user, c->user, USERS_NAME_MAX + 1);
	}
	pthread_mutex_unlock(&a->mu);
	if (rc == 0 && csrf != NULL)
		au_csrf(cookie, csrf);
	return rc;
}

int auth_check_token(struct auth *a, const char *bearer, char user[USERS_NAME_MAX + 1],
		     struct vg_err *err)
{
	int rc = 0;

	if (user != NULL)
		user[0] = '\0';
	if (!au_id_wellformed(bearer))
		return vg_err_set(err, VG_EPERM, "no valid token");
	pthread_mutex_lock(&a->mu);
	struct au_cred *c = au_find(a, bearer, AUTH_TOKEN, a->now(a->now_ctx));
	if (c == NULL)
		rc = vg_err_set(err, VG_EPERM, "no valid token");
	else if (user != NULL)
		vg_strlcpy(user, c->user, USERS_NAME_MAX + 1);
	pthread_mutex_unlock(&a->mu);
	return rc;
}

int auth_check_csrf(struct auth *a, const char *session, const char *header, struct vg_err *err)
{
	char want[AUTH_ID_TEXT];
	int rc = 0;
	(void)a;

	if (!au_id_wellformed(session) || header == NULL || strlen(header) != AUTH_ID_LEN)
		return vg_err_set(err, VG_EPERM, "missing or malformed CSRF token");
	au_csrf(session, want);
	if (CRYPTO_memcmp(want, header, AUTH_ID_LEN) != 0)
		rc = vg_err_set(err, VG_EPERM, "wrong CSRF token");
	OPENSSL_cleanse(want, sizeof(want));
	return rc;
}

int auth_logout(struct auth *a, const char *id)
{
	unsigned char d[AU_DIGEST_LEN];

	if (!au_id_wellformed(id))
		return VG_ENOTFOUND;
	au_digest(id, d);
	pthread_mutex_lock(&a->mu);
	struct au_cred *c = vg_hmap_del(a->creds, d, sizeof(d));
	bool live = c != NULL && !au_expired(c, a->now(a->now_ctx));
	au_cred_free(c);
	pthread_mutex_unlock(&a->mu);
	return live ? 0 : VG_ENOTFOUND;
}

size_t auth_count(struct auth *a)
{
	pthread_mutex_lock(&a->mu);
	size_t n = au_sweep(a, a->now(a->now_ctx), 0);
	pthread_mutex_unlock(&a->mu);
	return n;
}
