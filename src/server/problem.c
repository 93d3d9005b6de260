/* problem.c - RFC 9457 problem details. The detail is always written for the
 * client: no SQL, no C internals. */
#include <string.h>

#include "opengov/server/problem.h"

const char *problem_title(int status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 428: return "Precondition Required";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	default: return "Error";
	}
}

json_t *problem_render(int status, const char *slug, const char *detail,
		       const char *instance, const char *request_id,
		       const struct verrs *errs)
{
	char type[96];

	snprintf(type, sizeof type, "/problems/%s", slug ? slug : "error");
	json_t *p = json_object();
	json_object_set_new(p, "type", json_string(type));
	json_object_set_new(p, "title", json_string(problem_title(status)));
	json_object_set_new(p, "status", json_integer(status));
	json_object_set_new(p, "detail", json_string(detail ? detail : problem_title(status)));
	json_object_set_new(p, "instance", json_string(instance ? instance : "/"));
	json_object_set_new(p, "request_id", json_string(request_id ? request_id : ""));
	if (errs && errs->n > 0) {
		json_t *arr = json_array();
		for (int i = 0; i < errs->n; i++)
			json_array_append_new(arr, json_pack("{s:s, s:s}",
				"pointer", errs->e[i].pointer,
				"message", errs->e[i].message));
		json_object_set_new(p, "errors", arr);
	}
	return p;
}
