/*
 * decode_json.h - Wazuh's JSON_Decoder: one JSON object in, the decoded
 * fields and the alert's "data" object out.
 *
 * What Wazuh 4.x analysisd does with a JSON log (decoders/plugins/
 * json_decoder.c readJSON, then json_extended.c W_JSON_AddField when the
 * alert is written), and so what Vigie does (docs/decoders.md):
 *
 *   - nested keys are flattened with dots: {"a":{"b":1}} is field "a.b";
 *   - every value becomes a string, printed the way Wazuh prints it:
 *       string        as is;
 *       number        "%d" when it is a whole number that fits an int
 *                     (cJSON's valueint test), else "%f" ("3.140000");
 *       true / false  "true" / "false";
 *       null          "null" (decoder option json_null_field, default string);
 *       array         its compact JSON text, cJSON style ("[\"a\",1,true]"),
 *                     (json_array_structure, default array);
 *       empty object  no field at all;
 *   - fields keep the document's order; a repeated key keeps the last value;
 *   - the alert's "data" object is the same fields re-nested, every scalar as
 *     a string and arrays as JSON arrays, which is why a VirusTotal alert
 *     shows "found":"1", "positives":"57".
 *
 * Caps, each a clear error, never a crash: the input is at most
 * AN_JSON_MAX_INPUT bytes (VG_ETOOBIG), objects and arrays nest at most
 * AN_JSON_MAX_DEPTH deep (VG_ETOOBIG), AN_FIELDS_MAX fields, flattened
 * names of AN_FIELDS_NAME_MAX bytes and values of AN_FIELDS_VALUE_MAX bytes
 * (VG_ETOOBIG, from fields.h). Text that is not one JSON object, invalid
 * UTF-8 and strings holding \u0000 are VG_EPARSE. As with Wazuh's
 * cJSON_Parse, anything after the object is ignored (the active-response log
 * appends "Successfully removed threat" after its JSON).
 *
 * Stateless and reentrant: any thread may decode.
 */
#ifndef AN_DECODE_JSON_H
#define AN_DECODE_JSON_H

#include <stddef.h>

#include <jansson.h>

#include "lib/err.h"
#include "manager/fields.h"

#define AN_JSON_MAX_INPUT (2u * 1024u * 1024u) /* bytes of one JSON text */
#define AN_JSON_MAX_DEPTH 64u                  /* nesting of objects and arrays */

/*
 * Decode the JSON object in text[0..len) (NUL-terminated or not). Fields are
 * added to `fields` (the caller clears it first; a key already there is
 * replaced, as fields.h says). On success *data is a new reference to the
 * alert's "data" object, or NULL when the object decoded to no field at all
 * (Wazuh then writes no "data"). On failure *data is NULL, `fields` may hold
 * the fields added before the error (clear it) and err says why.
 */
int an_json_decode(const char *text, size_t len, struct an_fields *fields, json_t **data,
		   struct vg_err *err) VG_MUST_CHECK;

#endif
