/*
 * api_session.c - Logging in (docs/api.md): the Wazuh API's
 * POST /api/security/user/authenticate (HTTP Basic -> a Bearer token), the
 * dashboard's session (POST/GET/DELETE /api/session: an HttpOnly,
 * SameSite=Strict cookie and its CSRF token), and the check every other
 * route passes first (api_auth).
 *
 * Passwords only pass through: decoded into buffers that are wiped, never
 * logged. Failed logins are rate-limited per client address by auth.h
 * (429 with Retry-After).
 */
#include "manager/api_int.h"

#include <string.h>

#include <openssl/crypto.h>

#include "lib/json.h"
#include "lib/log.h"
#include "lib/str.h"
#include "manager/auth.h"
#include "manager/users.h"

#define BASIC_MAX 1024 /* bytes of a decoded "user:password" */

/* The answer to a login that did not succeed (rc from auth_login). */
static void refused(struct http_resp *resp, int rc, unsigned retry_after)
{
	char secs[16];

	if (rc == VG_ETOOBIG) {
		snprintf(secs, sizeof(secs), "%u", retry_after);
		http_header(resp, "Retry-After", secs);
		http_error(resp, 429, "too many failed logins from this address: retry in %u s",
			   retry_after);
	} else if (rc == VG_EPERM) {
		http_error(resp, 401, "Invalid credentials");
	} else {
		http_error(resp, 500, "login failed; see the manager's log");
	}
}

static int login(struct api *a, const struct http_req *req, const char *user, const char *password,
		 enum auth_kind kind, char id[AUTH_ID_TEXT], char csrf[AUTH_ID_TEXT],
		 struct http_resp *resp)
{
	struct vg_err err = VG_ERR_INIT;
	unsigned retry_after = 0;
	int rc = auth_login(a->o.auth, user, password, http_req_client(req), kind, id, csrf,
			    &retry_after, &err);

	if (rc != 0) {
		if (rc != VG_EPERM && rc != VG_ETOOBIG)
			vg_log_error("api: login: %s", err.msg);
		refused(resp, rc, retry_after);
	}
	return rc;
}

void api__authenticate(void *ctx, const struct http_req *req, struct http_resp *resp)
{
	const char *h = http_req_header(req, "Authorization");
	unsigned char plain[BASIC_MAX + 1];
	char id[AUTH_ID_TEXT], *colon;
	size_t n = 0;

	if (h == NULL || strncasecmp(h, "Basic ", 6) != 0 ||
	    vg_base64_decode(h + 6, strlen(h + 6), plain, BASIC_MAX, &n) != 0 ||
	    (colon = memchr(plain, ':', n)) == NULL) {
		http_header(resp, "WWW-Authenticate", "Basic realm=\"vigie\"");
		http_error(resp, 401, "HTTP Basic credentials are required");
		return;
	}
	plain[n] = '\0';
	*colon = '\0';
	if (login(ctx, req, (const char *)plain, colon + 1, AUTH_TOKEN, id, NULL, resp) == 0)
		http_json(resp, 200, json_pack("{s:{s:s}, s:i}", "data", "token", id, "error", 0));
	OPENSSL_cleanse(plain, sizeof(plain));
	OPENSSL_cleanse(id, sizeof(id));
}

static void session_answer(struct http_resp *resp, const char *user, const char *csrf)
{
	http_json(resp, 200,
		  json_pack("{s:{s:s, s:s}, s:i}", "data", "user", user, "csrf", csrf, "error", 0));
}

void api__session_new(void *ctx, const struct http_req *req, struct http_resp *resp)
{
	size_t len = 0;
	const char *body = http_req_body(req, &len);
	json_t *j = body != NULL ? json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL) : NULL;
	const char *user = json_string_value(json_object_get(j, "user"));
	const char *password = json_string_value(json_object_get(j, "password"));
	char id[AUTH_ID_TEXT], csrf[AUTH_ID_TEXT], cookie[AUTH_ID_TEXT + 128];

	if (user == NULL || password == NULL) {
		http_error(resp, 400, "body: expected {\"user\": \"...\", \"password\": \"...\"}");
	} else if (login(ctx, req, user, password, AUTH_SESSION, id, csrf, resp) == 0) {
		snprintf(cookie, sizeof(cookie),
			 API_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict%s", id,
			 http_req_tls(req) ? "; Secure" : "");
		http_header(resp, "Set-Cookie", cookie);
		session_answer(resp, user, csrf);
		OPENSSL_cleanse(cookie, sizeof(cookie));
	}
	json_decref(j); /* jansson's copy of the password goes with it */
}

void api__session_get(void *ctx, const struct http_req *req, struct http_resp *resp)
{
	struct api *a = ctx;
	const char *cookie = http_req_cookie(req, API_COOKIE);
	char user[USERS_NAME_MAX + 1], csrf[AUTH_ID_TEXT];

	if (cookie == NULL || auth_check_session(a->o.auth, cookie, user, csrf, NULL) != 0) {
		http_error(resp, 401, "not logged in");
		return;
	}
	session_answer(resp, user, csrf);
}

void api__session_end(void *ctx, const struct http_req *req, struct http_resp *resp)
{
	struct api *a = ctx;
	const char *cookie = http_req_cookie(req, API_COOKIE);

	if (cookie != NULL)
		(void)auth_logout(a->o.auth, cookie);
	http_header(resp, "Set-Cookie",
		    API_COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
	http_json(resp, 200, json_pack("{s:{}, s:i}", "data", "error", 0));
}

/* ---------------------------------------------------------------- every route */

static bool unsafe(enum http_method m)
{
	return m == HTTP_POST || m == HTTP_PUT || m == HTTP_DELETE;
}

int api_auth(void *ctx, const struct http_req *req, struct http_resp *resp)
{
	struct api *a = ctx;
	const char *h = http_req_header(req, "Authorization");
	const char *cookie = http_req_cookie(req, API_COOKIE);

	if (h != NULL && strncasecmp(h, "Bearer ", 7) == 0) {
		if (auth_check_token(a->o.auth, h + 7, NULL, NULL) == 0)
			return 0;
		http_error(resp, 401, "the token is unknown or expired");
		return -1;
	}
	if (cookie == NULL || auth_check_session(a->o.auth, cookie, NULL, NULL, NULL) != 0) {
		http_error(resp, 401, "log in first");
		return -1;
	}
	if (unsafe(http_req_method(req)) &&
	    auth_check_csrf(a->o.auth, cookie, http_req_header(req, "X-CSRF-Token"), NULL) != 0) {
		http_error(resp, 403, "missing or wrong X-CSRF-Token");
		return -1;
	}
	return 0;
}
