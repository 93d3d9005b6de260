/* test_privdrop.c - the drop from root to the service user, in a forked child
 * so the test program itself keeps its ids. As root: becomes nobody with
 * every id, cannot get root back, refuses an unknown user and root itself.
 * As another user: nothing to drop, nothing changes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <grp.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "opengov/base/privdrop.h"

/* Runs fn in a child; its exit status (0 = all checks held). */
static int in_child(int (*fn)(void))
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fn());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static int drop_to_nobody(void)
{
	char err[256];
	uid_t r, e, s;
	gid_t gr, ge, gs;
	struct passwd *pw = getpwnam("nobody");

	if (!pw)
		return 10;
	if (privdrop("nobody", err, sizeof err))
		return 11;
	if (getresuid(&r, &e, &s) || r != pw->pw_uid || e != pw->pw_uid || s != pw->pw_uid)
		return 12;
	if (getresgid(&gr, &ge, &gs) || gr != pw->pw_gid || ge != pw->pw_gid || gs != pw->pw_gid)
		return 13;
	gid_t groups[64];
	int n = getgroups(64, groups);
	for (int i = 0; i < n; i++)
		if (groups[i] == 0)
			return 14;
	if (setuid(0) == 0 || seteuid(0) == 0 || setgid(0) == 0)
		return 15;
	return 0;
}

static int refuse_unknown(void)
{
	char err[256] = "";

	if (privdrop("no-such-user-opengov-test", err, sizeof err) != -1)
		return 20;
	if (!strstr(err, "service user"))
		return 21;
	if (getuid() != 0 || geteuid() != 0) /* nothing half-done */
		return 22;
	if (privdrop("root", err, sizeof err) != -1)
		return 23;
	if (privdrop(NULL, err, sizeof err) != -1)
		return 24;
	return 0;
}

static int nothing_to_drop(void)
{
	char err[256];
	uid_t before = getuid();

	if (privdrop("no-such-user-opengov-test", err, sizeof err))
		return 30;
	return getuid() == before ? 0 : 31;
}

static void test_root_becomes_the_service_user(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(in_child(drop_to_nobody), 0);
}

static void test_root_refuses_a_missing_or_root_user(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(in_child(refuse_unknown), 0);
}

static void test_not_root_keeps_its_ids(void **state)
{
	(void)state;
	if (geteuid() == 0)
		skip();
	assert_int_equal(in_child(nothing_to_drop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_root_becomes_the_service_user),
		cmocka_unit_test(test_root_refuses_a_missing_or_root_user),
		cmocka_unit_test(test_not_root_keeps_its_ids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
