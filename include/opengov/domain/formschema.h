/* formschema.h - a service item's application form as a JSON Schema (draft
 * 2020-12, the subset docs/forms.md lists) and the forms applicants send
 * checked against it (src/domain/formschema.c). Pure: Jansson in, errors
 * with their JSON pointers out (struct verrs). */
#ifndef OPENGOV_FORMSCHEMA_H
#define OPENGOV_FORMSCHEMA_H

#include <jansson.h>

#include "opengov/base/validate.h"

/* The dialect a form schema may name in "$schema". */
#define FORMSCHEMA_DIALECT "https://json-schema.org/draft/2020-12/schema"
/* Bounds of a schema: nesting of objects and arrays, members of one
 * "properties", values of one "enum", its compact text in bytes. */
#define FORMSCHEMA_MAX_DEPTH 6
#define FORMSCHEMA_MAX_PROPERTIES 100
#define FORMSCHEMA_MAX_ENUM 200
#define FORMSCHEMA_MAX_BYTES 65536

/* Checks that schema is a form schema of the supported subset: an object
 * schema at the root, only supported keywords, each well formed. Each
 * error's pointer is prefix ("/form_schema") plus the pointer inside the
 * schema. Returns the number of errors added. */
int formschema_check(const json_t *schema, const char *prefix, struct verrs *v);

/* Checks form against schema (one formschema_check accepted). Each error's
 * pointer is prefix ("/form") plus the pointer of the failing value inside
 * form. Returns the number of errors added. */
int formschema_validate(const json_t *schema, const json_t *form, const char *prefix,
			struct verrs *v);

/* Whether s is valid for format name ("date", "email", "phone"); the
 * formats are docs/forms.md's. */
bool formschema_format_ok(const char *format, const char *s);

#endif
