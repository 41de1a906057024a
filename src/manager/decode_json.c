/*
 * decode_json.c - Wazuh's JSON_Decoder (see decode_json.h for the contract).
 *
 * One pass over the jansson tree does both jobs: each leaf is printed as
 * Wazuh prints it, added to the field map under its dotted name, and the
 * tree itself is rewritten in place into the alert's "data" object (scalars
 * replaced by their string, empty objects removed, arrays kept). The parse
 * tree is therefore the data object: no second tree is built per event.
 *
 * The dotted name lives in one fixed buffer that grows and shrinks as the
 * walk enters and leaves objects; array text goes to one capped vg_buf that
 * is allocated only when an array is met. Recursion is bounded by
 * AN_JSON_MAX_DEPTH. Stateless: any thread may decode.
 */
#include "manager/decode_json.h"

#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"

/* Big enough for "%f" of any double: DBL_MAX has 309 integer digits. */
#define NUM_BUF 352

struct walk {
	struct an_fields *fields;
	char name[AN_FIELDS_NAME_MAX + 1]; /* the dotted name of the current key */
	size_t name_len;
	struct vg_buf text; /* array text, capped at AN_FIELDS_VALUE_MAX */
	struct vg_err *err;
};

/* ---- Printing values the way Wazuh does --------------------------------- */

/* cJSON's valueint: the double saturated to int, then truncated. */
static int cjson_valueint(double d)
{
	if (d >= (double)INT_MAX)
		return INT_MAX;
	if (d <= (double)INT_MIN)
		return INT_MIN;
	return (int)d;
}

static double number_value(const json_t *v)
{
	return json_is_integer(v) ? (double)json_integer_value(v) : json_real_value(v);
}

/* readJSON's cJSON_Number case: "%i" when valueint == valuedouble, else "%f". */
static void print_field_number(char *buf, double d)
{
	int vi = cjson_valueint(d);

	if ((double)vi == d)
		snprintf(buf, NUM_BUF, "%d", vi);
	else
		snprintf(buf, NUM_BUF, "%f", d);
}

/* cJSON's print_number, used inside arrays (cJSON_PrintUnformatted). */
static void print_cjson_number(char *buf, double d)
{
	int vi = cjson_valueint(d);

	if (isnan(d) || isinf(d)) {
		snprintf(buf, NUM_BUF, "null");
	} else if ((double)vi == d) {
		snprintf(buf, NUM_BUF, "%d", vi);
	} else {
		/* The shortest of 15 or 17 significant digits that reads back. */
		snprintf(buf, NUM_BUF, "%1.15g", d);
		if (strtod(buf, NULL) != d)
			snprintf(buf, NUM_BUF, "%1.17g", d);
	}
}

/* cJSON's print_string_ptr: ", \ and control characters escaped, the rest raw. */
static int print_cjson_string(struct vg_buf *b, const char *s, size_t len)
{
	int rc = vg_buf_putc(b, '"');

	for (size_t i = 0; rc == 0 && i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		size_t run = i;

		while (run < len && (unsigned char)s[run] >= 0x20 && s[run] != '"' &&
		       s[run] != '\\')
			run++;
		if (run > i) {
			rc = vg_buf_append(b, s + i, run - i);
			i = run - 1;
			continue;
		}
		switch (c) {
		case '"':
			rc = vg_buf_puts(b, "\\\"");
			break;
		case '\\':
			rc = vg_buf_puts(b, "\\\\");
			break;
		case '\b':
			rc = vg_buf_puts(b, "\\b");
			break;
		case '\f':
			rc = vg_buf_puts(b, "\\f");
			break;
		case '\n':
			rc = vg_buf_puts(b, "\\n");
			break;
		case '\r':
			rc = vg_buf_puts(b, "\\r");
			break;
		case '\t':
			rc = vg_buf_puts(b, "\\t");
			break;
		default:
			rc = vg_buf_printf(b, "\\u%04x", c);
			break;
		}
	}
	return rc != 0 ? rc : vg_buf_putc(b, '"');
}

/* cJSON_PrintUnformatted of v into b; depth counts the enclosing containers
 * (v is not modified; jansson's iterators just take no const). */
static int print_cjson(struct vg_buf *b, json_t *v, unsigned depth)
{
	char num[NUM_BUF];
	int rc = 0;

	if (depth > AN_JSON_MAX_DEPTH)
		return VG_ETOOBIG;
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *item;
		bool first = true;

		rc = vg_buf_putc(b, '{');
		json_object_foreach((json_t *)v, k, item)
		{
			if (rc == 0 && !first)
				rc = vg_buf_putc(b, ',');
			if (rc == 0)
				rc = print_cjson_string(b, k, strlen(k));
			if (rc == 0)
				rc = vg_buf_putc(b, ':');
			if (rc == 0)
				rc = print_cjson(b, item, depth + 1);
			first = false;
		}
		return rc != 0 ? rc : vg_buf_putc(b, '}');
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *item;

		rc = vg_buf_putc(b, '[');
		json_array_foreach(v, i, item)
		{
			if (rc == 0 && i > 0)
				rc = vg_buf_putc(b, ',');
			if (rc == 0)
				rc = print_cjson(b, item, depth + 1);
		}
		return rc != 0 ? rc : vg_buf_putc(b, ']');
	}
	case JSON_STRING:
		return print_cjson_string(b, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
	case JSON_REAL:
		print_cjson_number(num, number_value(v));
		return vg_buf_puts(b, num);
	case JSON_TRUE:
		return vg_buf_puts(b, "true");
	case JSON_FALSE:
		return vg_buf_puts(b, "false");
	case JSON_NULL:
		return vg_buf_puts(b, "null");
	}
	return VG_EINTERNAL;
}

/* ---- The walk ------------------------------------------------------------ */

/* Append ".key" (or "key" at the top) to the current name. */
static int push_name(struct walk *w, const char *key)
{
	size_t klen = strlen(key);
	size_t need = w->name_len + (w->name_len > 0) + klen;

	if (need > AN_FIELDS_NAME_MAX)
		return vg_err_set(w->err, VG_ETOOBIG, "json: field name '%.40s...' over %d bytes",
				  w->name, AN_FIELDS_NAME_MAX);
	if (w->name_len > 0)
		w->name[w->name_len++] = '.';
	memcpy(w->name + w->name_len, key, klen);
	w->name_len += klen;
	w->name[w->name_len] = '\0';
	return 0;
}

static int add_field(struct walk *w, const char *value, size_t len)
{
	return an_fields_addn(w->fields, w->name, value, len, w->err);
}

static int walk_object(struct walk *w, json_t *obj, unsigned depth);

/*
 * One member: add its field(s) and rewrite it for "data". *drop is set when
 * the member must leave "data" (an object that decoded to nothing).
 */
static int walk_member(struct walk *w, json_t *obj, void *it, unsigned depth, bool *drop)
{
	json_t *v = json_object_iter_value(it);
	char num[NUM_BUF];
	const char *s = NULL;
	int rc;

	*drop = false;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (depth + 1 > AN_JSON_MAX_DEPTH)
			return vg_err_set(w->err, VG_ETOOBIG, "json: nested deeper than %u at '%s'",
					  AN_JSON_MAX_DEPTH, w->name);
		rc = walk_object(w, v, depth + 1);
		*drop = rc == 0 && json_object_size(v) == 0;
		return rc;
	case JSON_ARRAY:
		vg_buf_reset(&w->text);
		rc = print_cjson(&w->text, v, depth + 1);
		if (rc == VG_ETOOBIG)
			return vg_err_set(w->err, rc, "json: '%s': array over %u bytes or %u deep",
					  w->name, AN_FIELDS_VALUE_MAX, AN_JSON_MAX_DEPTH);
		if (rc != 0)
			return vg_err_set(w->err, rc, "json: '%s': cannot print the array",
					  w->name);
		return add_field(w, w->text.data, w->text.len); /* "data" keeps the array */
	case JSON_STRING:
		return add_field(w, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
	case JSON_REAL:
		print_field_number(num, number_value(v));
		s = num;
		break;
	case JSON_TRUE:
		s = "true";
		break;
	case JSON_FALSE:
		s = "false";
		break;
	case JSON_NULL:
		s = "null";
		break;
	}
	if ((rc = add_field(w, s, strlen(s))) != 0)
		return rc;
	if (json_object_iter_set_new(obj, it, json_string(s)) != 0)
		return vg_err_set(w->err, VG_EINTERNAL, "json: out of memory");
	return 0;
}

static int walk_object(struct walk *w, json_t *obj, unsigned depth)
{
	void *it = json_object_iter(obj);
	int rc = 0;

	while (it != NULL && rc == 0) {
		const char *key = json_object_iter_key(it);
		void *next = json_object_iter_next(obj, it);
		size_t saved = w->name_len;
		bool drop = false;

		if ((rc = push_name(w, key)) == 0)
			rc = walk_member(w, obj, it, depth, &drop);
		w->name_len = saved;
		w->name[saved] = '\0';
		if (rc == 0 && drop)
			json_object_del(obj, key); /* `next` stays valid */
		it = next;
	}
	return rc;
}

/* ---- Entry point --------------------------------------------------------- */

static int parse(const char *text, size_t len, json_t **out, struct vg_err *err)
{
	json_error_t jerr;
	size_t flags = JSON_DISABLE_EOF_CHECK;
	json_t *root = json_loadb(text, len, flags, &jerr);

	*out = NULL;
	/* cJSON reads every number as a double; jansson refuses an integer over
	 * 64 bits unless told to do the same. */
	if (root == NULL && json_error_code(&jerr) == json_error_numeric_overflow)
		root = json_loadb(text, len, flags | JSON_DECODE_INT_AS_REAL, &jerr);
	if (root == NULL) {
		int code =
		    json_error_code(&jerr) == json_error_stack_overflow ? VG_ETOOBIG : VG_EPARSE;
		return vg_err_set(err, code, "json: %s (column %d)", jerr.text, jerr.column);
	}
	if (!json_is_object(root)) {
		json_decref(root);
		return vg_err_set(err, VG_EPARSE, "json: not an object");
	}
	*out = root;
	return 0;
}

int an_json_decode(const char *text, size_t len, struct an_fields *fields, json_t **data,
		   struct vg_err *err)
{
	struct walk w = {.fields = fields, .err = err};
	json_t *root = NULL;
	int rc;

	*data = NULL;
	vg_buf_init(&w.text, AN_FIELDS_VALUE_MAX);
	if (text == NULL || fields == NULL) {
		rc = vg_err_set(err, VG_EPARSE, "json: no input");
		goto out;
	}
	if (len > AN_JSON_MAX_INPUT) {
		rc =
		    vg_err_set(err, VG_ETOOBIG, "json: %zu bytes (max %u)", len, AN_JSON_MAX_INPUT);
		goto out;
	}
	if ((rc = parse(text, len, &root, err)) != 0)
		goto out;
	if ((rc = walk_object(&w, root, 1)) != 0)
		goto out;
	if (json_object_size(root) > 0) {
		*data = root; /* transferred */
		root = NULL;
	}
out:
	json_decref(root);
	vg_buf_free(&w.text);
	return rc;
}
