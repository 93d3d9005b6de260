/* problem.c - RFC 9457 problem details. The detail is always written for the
 * client: no SQL, no C internals. */
#include <string.h>

#include "opengov/server/problem.h"

static const struct {
	int status;
	const char *en, *zh;
} titles[] = {
	{ 400, "Bad Request", "请求有误" },
	{ 401, "Unauthorized", "未经认证" },
	{ 403, "Forbidden", "无权访问" },
	{ 404, "Not Found", "未找到" },
	{ 405, "Method Not Allowed", "不允许的方法" },
	{ 406, "Not Acceptable", "无法提供所要求的格式" },
	{ 408, "Request Timeout", "请求超时" },
	{ 409, "Conflict", "状态冲突" },
	{ 410, "Gone", "已不再提供" },
	{ 412, "Precondition Failed", "前提条件不成立" },
	{ 413, "Content Too Large", "请求体过大" },
	{ 414, "URI Too Long", "网址过长" },
	{ 415, "Unsupported Media Type", "不支持的媒体类型" },
	{ 422, "Unprocessable Content", "内容无法处理" },
	{ 428, "Precondition Required", "需要前提条件" },
	{ 429, "Too Many Requests", "请求过于频繁" },
	{ 500, "Internal Server Error", "服务器内部错误" },
	{ 501, "Not Implemented", "未实现" },
	{ 502, "Bad Gateway", "网关错误" },
	{ 503, "Service Unavailable", "服务暂不可用" },
	{ 504, "Gateway Timeout", "网关超时" },
};

const char *problem_title_in(int status, enum lang l)
{
	for (size_t i = 0; i < sizeof titles / sizeof titles[0]; i++)
		if (titles[i].status == status)
			return l == LANG_EN ? titles[i].en : titles[i].zh;
	return l == LANG_EN ? "Error" : "错误";
}

const char *problem_title(int status)
{
	return problem_title_in(status, LANG_EN);
}

void problem_slug_code(const char *slug, char *out, size_t len)
{
	snprintf(out, len, "%s", slug ? slug : "error");
	for (char *p = out; *p; p++)
		if (*p == '-')
			*p = '_';
}

json_t *problem_render(int status, const char *slug, const char *code,
		       const char *detail, enum lang l, const char *instance,
		       const char *request_id, const struct verrs *errs)
{
	char type[96], generic[64];

	snprintf(type, sizeof type, "/problems/%s", slug ? slug : "error");
	if (!code) {
		problem_slug_code(slug, generic, sizeof generic);
		code = generic;
	}
	json_t *p = json_object();
	json_object_set_new(p, "type", json_string(type));
	json_object_set_new(p, "title", json_string(problem_title_in(status, l)));
	json_object_set_new(p, "status", json_integer(status));
	json_object_set_new(p, "code", json_string(code));
	json_object_set_new(p, "detail", json_string(detail ? detail : problem_title_in(status, l)));
	json_object_set_new(p, "instance", json_string(instance ? instance : "/"));
	json_object_set_new(p, "request_id", json_string(request_id ? request_id : ""));
	if (errs && errs->n > 0) {
		json_t *arr = json_array();
		for (int i = 0; i < errs->n; i++) {
			const struct verr *e = &errs->e[i];
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s}",
				"pointer", e->pointer,
				"code", e->code ? e->code : "invalid",
				"message", l == LANG_EN || !e->message_zh[0] ? e->message
									 : e->message_zh));
		}
		json_object_set_new(p, "errors", arr);
	}
	return p;
}
